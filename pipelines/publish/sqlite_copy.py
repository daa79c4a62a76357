"""Copy DuckDB tables into a SQLite file: typed columns, indexes, French full-text search.

DuckDB's own `sqlite` extension needs a download, so rows go through Python in large
batches. Types are mapped once from DuckDB's column types, never guessed from values: a
number stays a number even if the source had malformed cells (those are in quarantine).
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import duckdb

from ..warehouse import quote

BATCH_ROWS = 50_000
FTS_TOKENIZER = "unicode61 remove_diacritics 2"

_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER")
_REAL = ("FLOAT", "DOUBLE", "REAL", "UBIGINT", "HUGEINT", "UHUGEINT")


def sqlite_type(duckdb_type: str) -> str:
    """SQLite column type for a DuckDB type: INTEGER, REAL or TEXT."""
    base = duckdb_type.upper().split("(")[0].strip()
    if base in _INTEGER or base == "BOOLEAN":
        return "INTEGER"
    if base in _REAL or base == "DECIMAL":
        return "REAL"
    return "TEXT"


def _select_expression(column: str, duckdb_type: str) -> str:
    """How to read a column so that sqlite3 receives int, float, str or None only."""
    base = duckdb_type.upper().split("(")[0].strip()
    if base in ("DECIMAL", "HUGEINT", "UHUGEINT", "UBIGINT"):
        return f"CAST({quote(column)} AS DOUBLE)"
    if base == "BOOLEAN":
        return f"CAST({quote(column)} AS INTEGER)"
    if sqlite_type(duckdb_type) == "TEXT":
        if base.endswith("[]") or base.startswith(("STRUCT", "MAP", "LIST", "UNION")):
            return f"CAST(to_json({quote(column)}) AS VARCHAR)"
        if base == "TIMESTAMP WITH TIME ZONE" or base == "TIMESTAMPTZ":
            return f"strftime({quote(column)} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')"
        if base == "VARCHAR":
            return quote(column)
        return f"CAST({quote(column)} AS VARCHAR)"
    return quote(column)


def duckdb_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of each column of a `main` table, in order."""
    return con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
        [table],
    ).fetchall()


def _row_is_key(con: duckdb.DuckDBPyConnection, table: str, names: list[str]) -> bool:
    if "_row" not in names:
        return False
    total, distinct, present = con.execute(
        f"SELECT count(*), count(DISTINCT _row), count(_row) FROM {quote(table)}"
    ).fetchone()
    return total == distinct == present


def copy_table(
    con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, table: str, *, row_key: bool = False
) -> int:
    """Create `table` in SQLite with mapped types and copy every row; returns the row count.

    With `row_key` (one row per source row: core, quarantine), a unique `_row` becomes the
    INTEGER PRIMARY KEY (the rowid), so row pages have stable URLs across publications.
    """
    columns = duckdb_columns(con, table)
    names = [name for name, _ in columns]
    row_key = row_key and _row_is_key(con, table, names)
    ddl = []
    for name, duck_type in columns:
        kind = sqlite_type(duck_type)
        ddl.append(
            f"{quote(name)} INTEGER PRIMARY KEY"
            if row_key and name == "_row"
            else f"{quote(name)} {kind}"
        )
    db.execute(f"CREATE TABLE {quote(table)} ({', '.join(ddl)})")
    select = ", ".join(_select_expression(name, duck_type) for name, duck_type in columns)
    # No ORDER BY: DuckDB keeps insertion order (the pipeline writes rows in `_row` order), and
    # the rowid is `_row` whatever order rows arrive in; sorting 1M rows cost seconds.
    cursor = con.cursor()
    cursor.execute(f"SELECT {select} FROM {quote(table)}")
    insert = f"INSERT INTO {quote(table)} VALUES ({', '.join('?' for _ in names)})"
    rows = 0
    for batch in _prefetched(cursor):
        db.executemany(insert, batch)
        rows += len(batch)
    return rows


def _prefetched(cursor: duckdb.DuckDBPyConnection) -> Iterator[list[tuple[Any, ...]]]:
    """Batches of `cursor`, the next one fetched by a thread while SQLite writes this one
    (both release the GIL for most of their work).
    """
    batches: queue.Queue[list[tuple[Any, ...]] | BaseException | None] = queue.Queue(maxsize=2)

    def produce() -> None:
        try:
            while batch := cursor.fetchmany(BATCH_ROWS):
                batches.put(batch)
            batches.put(None)
        except BaseException as error:  # handed to the consumer, raised there
            batches.put(error)

    thread = threading.Thread(target=produce, name="duckdb-fetch", daemon=True)
    thread.start()
    try:
        while (item := batches.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        while thread.is_alive():  # unblock a producer waiting on a full queue
            with contextlib.suppress(queue.Empty):
                batches.get(timeout=0.1)
        thread.join()
        cursor.close()


def create_indexes(
    db: sqlite3.Connection, table: str, indexes: Iterable[str | Sequence[str]]
) -> list[str]:
    """One index per entry (a column, or columns leading column first), skipping columns the
    table lacks and indexes led by `_row` (the rowid already); returns their names.
    """
    present = {row[1] for row in db.execute(f"PRAGMA table_info({quote(table)})")}
    made = []
    for entry in indexes:
        columns = [entry] if isinstance(entry, str) else list(entry)
        columns = [c for c in dict.fromkeys(columns) if c in present]
        if (
            not columns
            or columns[0] == "_row"
            or columns[0] != (entry if isinstance(entry, str) else entry[0])
        ):
            continue
        index = f"idx_{table}__{'__'.join(columns)}"
        cols = ", ".join(quote(c) for c in columns)
        db.execute(f"CREATE INDEX {quote(index)} ON {quote(table)} ({cols})")
        made.append(index)
    return made


def create_fts(db: sqlite3.Connection, table: str, columns: Iterable[str]) -> str | None:
    """An external-content FTS5 index (diacritics removed) that Datasette detects.

    `columnsize=0`: no per-row token counts (a shadow table of one row per row, 40 % of the
    build). Datasette's `_search` only filters with MATCH; ranking with bm25() still works in
    SQL, it re-tokenizes the matched rows instead.
    """
    present = {row[1] for row in db.execute(f"PRAGMA table_info({quote(table)})")}
    chosen = [c for c in columns if c in present]
    if not chosen:
        return None
    fts = f"{table}_fts"
    cols = ", ".join(quote(c) for c in chosen)
    db.execute(
        f"CREATE VIRTUAL TABLE {quote(fts)} USING fts5({cols}, content={quote(table)}, "
        f"content_rowid='rowid', columnsize=0, tokenize='{FTS_TOKENIZER}')"
    )
    db.execute(f"INSERT INTO {quote(fts)} ({quote(fts)}) VALUES ('rebuild')")
    return fts
