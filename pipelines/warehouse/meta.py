"""Write a small `meta_*` table from Python rows: explicit column types, no Arrow needed.

The status and quality tables are a few hundred rows at most; plain parameterised inserts
keep them independent of pyarrow and of how Polars hands frames to DuckDB. Their French
documentation goes into DuckDB comments, which the publication turns into Datasette
metadata (title = the comment's first sentence).
"""

from __future__ import annotations

from typing import Any

import duckdb

from .database import quote


def replace_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    columns: dict[str, str],
    rows: list[dict[str, Any]],
    *,
    comment: str = "",
    docs: dict[str, str] | None = None,
) -> int:
    """Replace `table` (columns name → DuckDB type) with `rows`, in one transaction, with
    `comment` on the table and `docs` (name → French description) on its columns."""
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
        if comment:
            con.execute(f"COMMENT ON TABLE {quote(table)} IS {_literal(comment)}")
        for name, text in (docs or {}).items():
            if name in columns:
                column = f"{quote(table)}.{quote(name)}"
                con.execute(f"COMMENT ON COLUMN {column} IS {_literal(text)}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


def _literal(text: str) -> str:
    """A SQL string literal (COMMENT ON takes no bound parameter)."""
    return "'" + text.replace("'", "''") + "'"
