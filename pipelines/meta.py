"""Write a small `meta_*` table from Python rows: explicit column types, no Arrow needed.

The status and quality tables are a few hundred rows at most; plain parameterised inserts
keep them independent of pyarrow and of how Polars hands frames to DuckDB.
"""

from __future__ import annotations

from typing import Any

import duckdb

from .warehouse import quote


def replace_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    rows: list[dict[str, Any]],
) -> int:
    """Replace `table` (columns name → DuckDB type) with `rows`, in one transaction."""
    ddl = ", ".join(f"{quote(name)} {sql_type}" for name, sql_type in columns.items())
    marks = ", ".join("?" for _ in columns)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {quote(table)} ({ddl})")
        if rows:
            con.executemany(
                f"INSERT INTO {quote(table)} VALUES ({marks})",
                [[row.get(name) for name in columns] for row in rows],
            )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)
