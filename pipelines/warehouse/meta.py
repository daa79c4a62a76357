"""Write a small `meta_*` table from Python rows: explicit column types, no Arrow needed.

The status and quality tables are a few hundred rows at most; plain parameterised inserts
keep them independent of pyarrow and of how Polars hands frames to DuckDB. Each is described
once as a Table Schema (`pipelines/catalog/meta/<table>.json`): its column types give the DDL
and its French title, description and field descriptions go into DuckDB comments, which the
publication turns into Datasette metadata (title = the comment's first sentence).
"""

from __future__ import annotations

from typing import Any

import duckdb

from ..catalog.meta_tables import column_docs, column_types, table_comment
from .database import quote


def replace_described_table(
    con: duckdb.DuckDBPyConnection, schema: dict[str, Any], rows: list[dict[str, Any]]
) -> int:
    """Replace the table a Table Schema describes with `rows`: DDL and comments from it."""
    return replace_table(
        con,
        schema["name"],
        column_types(schema),
        rows,
        comment=table_comment(schema),
        docs=column_docs(schema),
    )


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
