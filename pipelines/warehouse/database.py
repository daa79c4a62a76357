"""The DuckDB warehouse: connecting, loading frames, promoting staged tables.

Tables are named by `catalog.table_name`; work in progress goes to the `staging` schema
under the same name and is promoted in one transaction, so a failed or rejected run never
replaces good tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

STAGING = "staging"
# How long a step waits for another process's hold on the warehouse before failing. The
# `duckdb_warehouse` pool queues writing steps, but Dagster's slot claim is not atomic on
# SQLite storage (two runs starting together can take the same slot), so the file lock
# itself is waited for rather than failed on.
LOCK_WAIT_S = 1800.0
log = logging.getLogger(__name__)


def quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def open_warehouse(
    path: Path, *, read_only: bool = False, wait_s: float = LOCK_WAIT_S
) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, waiting while another process holds the file's lock (DuckDB fails
    at once); after `wait_s`, fails with DuckDB's message, which names that process."""
    deadline = time.monotonic() + wait_s
    delay = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if "could not set lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            if delay == 0.05:
                log.info("warehouse %s is held by another process; waiting for it", path)
            time.sleep(delay)
            delay = min(delay * 2, 1.0)


@contextmanager
def connect(path: Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the warehouse; one writer at a time (DuckDB's file lock, waited for)."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = open_warehouse(path, read_only=read_only)
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
