"""Shared helpers of the validation tests: load a CSV as text cells, run both engines."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.validate import ValidationReport, validate_table

HEADER_TYPES = {"missing-label", "extra-label", "incorrect-label", "duplicate-label"}
ROW_TYPES = {"blank-row", "primary-key", "foreign-key"}


def load_text(con: duckdb.DuckDBPyConnection, table: str, text: str) -> list[str]:
    """Load CSV text as VARCHAR cells ("" kept as ""), `_row` = line number; returns labels."""
    rows = list(csv.reader(io.StringIO(text)))
    labels, body = rows[0], rows[1:]
    width = len(labels)
    columns = {
        label: [row[j] if j < len(row) else None for row in body]
        for j, label in enumerate(labels)
    }
    frame = pl.DataFrame(
        {**columns, "_row": list(range(2, len(body) + 2))},
        schema={**{label: pl.String for label in labels}, "_row": pl.Int64},
    )
    assert frame.width == width + 1
    con.register("_frame", frame)
    con.execute(f'CREATE OR REPLACE TABLE "{table}" AS SELECT * FROM _frame')
    con.unregister("_frame")
    return labels


def ours(text: str, schema: dict[str, Any], **kwargs: Any) -> tuple[set, ValidationReport,
                                                                    duckdb.DuckDBPyConnection]:
    """Our (row, field, type) set on CSV text; header errors as row None."""
    con = duckdb.connect()
    load_text(con, "src", text)
    kwargs.setdefault("french_checks", False)
    report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e", **kwargs)
    found = set()
    for row, field, kind in con.execute("SELECT _row, champ, type FROM e").fetchall():
        if kind in HEADER_TYPES:
            found.add((None, field or None, kind))
        elif kind in ROW_TYPES:
            found.add((row, None, kind))
        else:
            found.add((row, field, kind))
    return found, report, con


def theirs(text: str, schema: dict[str, Any], tmp: Path) -> set:
    """frictionless-py's (row, field, type) set, error limit raised."""
    from frictionless import Resource, Schema, validate

    path = tmp / "parity.csv"
    path.write_text(text, encoding="utf-8")
    clean = {k: v for k, v in schema.items() if not k.startswith("x-camp")}
    resource = Resource(path=path.name, basepath=str(tmp), schema=Schema.from_descriptor(clean))
    report = validate(resource, limit_errors=10**9)
    found = set()
    for task in report.tasks:
        for error in task.errors:
            row = getattr(error, "row_number", None)
            kind = error.type
            field = getattr(error, "field_name", None) or None
            if kind in HEADER_TYPES:
                row = None
            if kind in ROW_TYPES:
                field = None
            found.add((row, field, kind))
    return found
