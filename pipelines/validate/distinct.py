"""Check the distinct values of a field with frictionless itself.

For types and formats that are rare in French open data and costly to re-implement
exactly (e-mail, URI, UUID, datetime and time without a format, geopoint, JSON array and
object, patterns RE2 cannot run), each *distinct* non-missing value is read once by
frictionless's own cell reader; the result (typed text and errors) is joined back to the
rows. Set-based still: the cost grows with the number of distinct values, not of cells.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import duckdb

from .messages import constraint_message, quoted, type_message
from .sql import ident

if TYPE_CHECKING:
    import polars as pl


def typed_text(value: Any) -> str | None:
    """The text DuckDB casts into the field's column type."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(sep=" ")
    if isinstance(value, dt.time):
        return value.replace(tzinfo=None).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    if type(value).__name__ == "geopoint":
        return f"{value.lon},{value.lat}"
    return str(value)


def read_distinct(values: list[str], field: dict[str, Any]) -> pl.DataFrame:
    """One row per value: the typed text and the list of errors frictionless finds."""
    import polars as pl  # imported here: most schemas never take this path
    from frictionless import Field

    descriptor = {k: v for k, v in field.items() if not k.startswith("x-camp")}
    descriptor["missingValues"] = []
    constraints = dict(descriptor.get("constraints", {}))
    constraints.pop("required", None)
    constraints.pop("unique", None)
    descriptor["constraints"] = constraints
    reader = Field.from_descriptor(descriptor).create_cell_reader()
    typed, errors = [], []
    for value in values:
        target, notes = reader(value)
        found = []
        for name in notes or {}:
            if name == "type":
                message = type_message(quoted(value), field)
                found.append({"champ": field["name"], "type": "type-error", "message": message})
            else:
                message = constraint_message(name, constraints.get(name), value)
                found.append({"champ": field["name"], "type": "constraint-error",
                              "message": message})
        typed.append(None if notes and "type" in notes else typed_text(target))
        errors.append(found)
    error_type = pl.List(pl.Struct({"champ": pl.String, "type": pl.String, "message": pl.String}))
    return pl.DataFrame(
        {"value": values, "typed": typed, "errs": errors},
        schema={"value": pl.String, "typed": pl.String, "errs": error_type},
    )


def register_distinct(
    con: duckdb.DuckDBPyConnection, source: str, column: str, missing: str, field: dict[str, Any],
    name: str,
) -> None:
    """Create the temp table `name(value, typed, errs)` for the column's distinct values."""
    rows = con.execute(
        f"SELECT DISTINCT {ident(column)} FROM {source} AS s WHERE NOT ({missing})"
    ).fetchall()
    frame = read_distinct([r[0] for r in rows], field)
    con.register(f"{name}_frame", frame)
    try:
        con.execute(f"CREATE TEMP TABLE {ident(name)} AS SELECT * FROM {ident(name + '_frame')}")
    finally:
        con.unregister(f"{name}_frame")
