"""Alembic environment of the store: always run in code (``Store.migrate``), on the connection
the store passes in ``config.attributes["connection"]``; batch mode, so that later ALTERs work on
SQLite too (it copies the table)."""

from __future__ import annotations

from alembic import context

from app.store.models import Base

# Any constant: two servers starting at once on one PostgreSQL database migrate one at a time.
PG_MIGRATION_LOCK = 0x42505053544F5245  # "BPPSTORE"


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run the store's migrations through app.store.Store.migrate()")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
        # The store emits BEGIN itself on SQLite too, so a failed migration rolls back whole.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({PG_MIGRATION_LOCK})")
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("the store's migrations run online only")
run_migrations_online()
