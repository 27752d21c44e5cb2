"""What every table of the store is built on: the declarative ``Base`` (one ``MetaData``, with
stable constraint names), the ``UTCDateTime`` column type, and ``core_table`` (a model's Core
``Table``, for ``insert``/``update``/``delete``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that batch migrations on SQLite can find them again.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both backends: ``timestamptz`` on PostgreSQL, naive UTC text on
    SQLite (which stores no zone). Naive datetimes are refused rather than guessed at."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the store takes aware datetimes only (e.g. datetime.now(UTC))")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def core_table(model: type[Base]) -> Table:
    """A model's Core ``Table``, for ``insert``/``update``/``delete``: SQLAlchemy types
    ``__table__`` as the wider ``FromClause``, while a declarative model's is always a Table."""
    table = model.__table__
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__}.__table__ is not a Table")
    return table
