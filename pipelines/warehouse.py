"""The DuckDB warehouse: connecting, loading frames, promoting staged tables.

Tables are named by `catalog.table_name`; work in progress goes to the `staging` schema
under the same name and is promoted in one transaction, so a failed or rejected run never
replaces good tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

STAGING = "staging"


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; the one writer at a time is enforced by DuckDB's file lock."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only)
    try:
        if not read_only:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {STAGING}")
        yield con
    finally:
        con.close()


def load_frame(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> int:
    """Replace `table` with the frame's rows; returns the row count."""
    con.register("_incoming", frame)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS SELECT * FROM _incoming")
    finally:
        con.unregister("_incoming")
    return count_rows(con, table)


def count_rows(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {quote(table)}").fetchone()
    return int(row[0]) if row else 0


def table_exists(con: duckdb.DuckDBPyConnection, table: str, schema: str = "main") -> bool:
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])


def staged(table: str) -> str:
    return f"{STAGING}.{quote(table)}"


def promote(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Replace each main table by its staged version, all or nothing."""
    con.execute("BEGIN TRANSACTION")
    try:
        for table in tables:
            con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS SELECT * FROM {staged(table)}")
            con.execute(f"DROP TABLE {staged(table)}")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def drop_staged(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {staged(table)}")
