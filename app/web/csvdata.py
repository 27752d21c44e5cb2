"""Your own data from a CSV file: the text is read here, at the edge, into the input and target
tables of an ``inline`` dataset (``POST /api/csv``; the page then creates the session with
them). Every refusal names where it is — ``line 4, column 2 ('x2'): 'abc' is not a number`` —
and every limit is a named setting (``max_csv_bytes``, ``max_csv_rows``, ``max_csv_columns``).

The first line is a header when any of its cells is not a number; otherwise the columns are
called c1, c2, …. Empty lines are skipped; a comma, semicolon or tab separates the cells.
"""

from __future__ import annotations

import csv
import math
from typing import Any

from app.errors import FieldError
from app.settings import Settings

PREVIEW_ROWS = 5


def _number(cell: str) -> float | None:
    try:
        return float(cell)
    except ValueError:
        return None


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _columns(field: str, wanted: list[str], columns: list[str]) -> list[int]:
    out = []
    for k, name in enumerate(wanted):
        if name not in columns:
            raise FieldError(
                f"{field}[{k}]", f"no column {name!r}; the columns are {', '.join(columns)}"
            )
        out.append(columns.index(name))
    return out


def _table(text: str, settings: Settings) -> tuple[list[str], list[list[float]]]:
    """The file's column names and its rows of numbers (refusals name line and column)."""
    size = len(text.encode())
    if size > settings.max_csv_bytes:
        raise FieldError(
            "text", f"{size} bytes exceed the limit of {settings.max_csv_bytes} (max_csv_bytes)"
        )
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not numbered:
        raise FieldError("text", "the file is empty")
    delimiter = _delimiter(numbered[0][1])
    rows = []
    for number, line in numbered:
        try:
            cells = next(csv.reader([line], delimiter=delimiter))
        except csv.Error as exc:  # e.g. a cell over the csv module's field size limit
            raise FieldError("text", f"line {number}: {exc}") from None
        rows.append((number, [cell.strip() for cell in cells]))
    first_number, first = rows[0]
    if len(first) > settings.max_csv_columns:
        raise FieldError(
            "text",
            f"line {first_number}: {len(first)} columns exceed the limit of "
            f"{settings.max_csv_columns} (max_csv_columns)",
        )
    if any(_number(cell) is None for cell in first):  # a header line
        columns = [cell or f"c{j + 1}" for j, cell in enumerate(first)]
        for name in columns:
            if columns.count(name) > 1:
                raise FieldError("text", f"line {first_number}: the column {name!r} appears twice")
        rows = rows[1:]
    else:
        columns = [f"c{j + 1}" for j in range(len(first))]
    if not rows:
        raise FieldError("text", "the file has a header but no rows of numbers")
    if len(rows) > settings.max_csv_rows:
        raise FieldError(
            "text", f"{len(rows)} rows exceed the limit of {settings.max_csv_rows} (max_csv_rows)"
        )
    table: list[list[float]] = []
    for number, cells in rows:
        if len(cells) != len(columns):
            raise FieldError(
                "text", f"line {number}: {len(cells)} columns, but the file has {len(columns)}"
            )
        row = []
        for j, cell in enumerate(cells):
            value = _number(cell)
            where = f"line {number}, column {j + 1} ({columns[j]!r})"
            if value is None:
                raise FieldError("text", f"{where}: {cell!r} is not a number")
            if not math.isfinite(value) or abs(value) > settings.max_abs_value:
                raise FieldError(
                    "text",
                    f"{where}: {cell} is not a finite number within ±{settings.max_abs_value:g} "
                    "(max_abs_value)",
                )
            row.append(value)
        table.append(row)
    return columns, table


def parse_csv(
    text: str, inputs: list[str] | None, targets: list[str] | None, settings: Settings
) -> dict[str, Any]:
    """``{"columns", "rows", "preview"}``, plus ``"inputs"`` and ``"targets"`` (the chosen
    columns, row by row) when either is given. Raises ``FieldError`` naming ``text`` (with the
    line and column), ``inputs[k]`` or ``targets[k]``."""
    columns, table = _table(text, settings)
    out: dict[str, Any] = {"columns": columns, "rows": len(table), "preview": table[:PREVIEW_ROWS]}
    if inputs is None and targets is None:
        return out
    if not inputs:
        raise FieldError("inputs", "choose at least one input column")
    if not targets:
        raise FieldError("targets", "choose at least one target column")
    cols_in = _columns("inputs", inputs, columns)
    cols_t = _columns("targets", targets, columns)
    for k, name in enumerate(targets):
        if name in inputs:
            raise FieldError(f"targets[{k}]", f"{name!r} is already an input column")
    out["inputs"] = [[row[j] for j in cols_in] for row in table]
    out["targets"] = [[row[j] for j in cols_t] for row in table]
    return out
