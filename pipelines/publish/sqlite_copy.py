"""Copy DuckDB tables into a SQLite file: typed columns, indexes, French full-text search.

DuckDB's own `sqlite` extension needs a download (its PyPI repackagings stop at DuckDB 1.5.5,
ours is 2.0), so rows go through Python in large batches, split between two processes for
large tables. Types are mapped once from DuckDB's
column types, never guessed from values: a number stays a number even if the source had
malformed cells (those are in quarantine).
"""

from __future__ import annotations

import contextlib
import json
import queue
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb

from ..warehouse.database import quote
from . import side_copy
from .side_copy import SideCopy

BATCH_ROWS = 50_000
# From this many rows, a second process copies part of the table: turning DuckDB values into
# Python objects and binding them to SQLite holds the GIL (6.5 s per 1M rows on one core), so
# a second core only helps from another process. Below it, starting one (~0.5 s) costs more.
SPLIT_MIN_ROWS = 200_000
HELPER_SHARE = 0.45  # of the rows: a bit less than half, it first spends ~0.4 s starting up
FTS_TOKENIZER = "unicode61 remove_diacritics 2"
# A file being built that nobody reads before it is finished: no rollback journal, no fsync.
UNJOURNALED = ("journal_mode = OFF", "synchronous = OFF")

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
    Outside a transaction, a large table from a read-only warehouse file is copied by two
    processes (see `SPLIT_MIN_ROWS`); the copy then commits as it goes.
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
    create = f"CREATE TABLE {quote(table)} ({', '.join(ddl)})"
    db.execute(create)
    select = ", ".join(_select_expression(name, duck_type) for name, duck_type in columns)
    if db.in_transaction:
        return insert_rows(con, db, table, select)
    warehouse = _read_only_file(con)
    target = database_file(db)
    low, high = con.execute(f"SELECT min(rowid), max(rowid) FROM {quote(table)}").fetchone()
    if not warehouse or not target or high is None or high - low < SPLIT_MIN_ROWS:
        with transaction(db):
            return insert_rows(con, db, table, select)
    split = low + round((high - low) * (1 - HELPER_SHARE))
    side = Path(target).with_name(f".{table}.side.db")
    job = SideCopy(warehouse, table, select, f"rowid >= {split}", create, str(side))
    helper = side_copy.start(job)
    try:
        with transaction(db):
            rows = insert_rows(con, db, table, select, f"rowid < {split}")
        rows += side_copy.finish(helper)
        # Rows of a side table with the same columns are appended by SQLite's transfer
        # optimisation: records copied as they are, no value decoded (0.3 s per 500k rows).
        with attached(db, side, "side"), transaction(db):
            db.execute(f"INSERT INTO main.{quote(table)} SELECT * FROM side.{quote(table)}")
    finally:
        side_copy.stop(helper)
        side.unlink(missing_ok=True)
    return rows


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    db: sqlite3.Connection,
    table: str,
    select: str,
    where: str = "TRUE",
) -> int:
    """Insert the rows of DuckDB's `SELECT {select} FROM table WHERE {where}` into the SQLite
    table of the same name; returns how many.
    """
    # No ORDER BY: DuckDB keeps insertion order (the pipeline writes rows in `_row` order), and
    # the rowid is `_row` whatever order rows arrive in; sorting 1M rows cost seconds.
    cursor = con.cursor()
    cursor.execute(f"SELECT {select} FROM {quote(table)} WHERE {where}")
    width = len(cursor.description or ())
    insert = f"INSERT INTO {quote(table)} VALUES ({', '.join('?' * width)})"
    rows = 0
    for batch in _prefetched(cursor):
        db.executemany(insert, batch)
        rows += len(batch)
    return rows


def copy_to_side_file(
    warehouse: str, table: str, select: str, create: str, where: str, side: str
) -> int:
    """In the helper process (`side_copy`): `table`'s rows matching `where` into a new SQLite
    file `side`, whose table `create` makes.
    """
    con = duckdb.connect(warehouse, read_only=True)
    db = sqlite3.connect(side, isolation_level=None)
    try:
        set_pragmas(db, (*UNJOURNALED, "locking_mode = EXCLUSIVE"))
        db.execute(create)
        with transaction(db):
            return insert_rows(con, db, table, select, where)
    finally:
        db.close()
        con.close()


@contextlib.contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN ... COMMIT on a connection in autocommit mode (`isolation_level=None`)."""
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def set_pragmas(db: sqlite3.Connection, pragmas: Iterable[str], schema: str = "") -> None:
    """`PRAGMA [schema.]pragma` for each; an attached file has its own settings."""
    prefix = f"{schema}." if schema else ""
    for pragma in pragmas:
        db.execute(f"PRAGMA {prefix}{pragma}")


def database_file(db: sqlite3.Connection) -> str:
    """The path of `db`'s main file ('' in memory)."""
    return db.execute("PRAGMA database_list").fetchone()[2]


@contextlib.contextmanager
def attached(db: sqlite3.Connection, path: str | Path, alias: str) -> Iterator[None]:
    """`path` attached to `db` as `alias` (outside a transaction), detached on exit."""
    db.execute(f"ATTACH DATABASE ? AS {alias}", [str(path)])
    try:
        yield
    finally:
        db.execute(f"DETACH DATABASE {alias}")


def _read_only_file(con: duckdb.DuckDBPyConnection) -> str | None:
    """The warehouse file `con` reads, if another process may open it too (read-only)."""
    path = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()[0]
    mode = con.execute("SELECT current_setting('access_mode')").fetchone()[0]
    return path if path and str(mode).lower() == "read_only" else None


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


def fts_declaration(
    db: sqlite3.Connection, table: str, columns: Iterable[str]
) -> tuple[str, str, list[str]] | None:
    """(FTS table name, its CREATE statement, its columns) for the columns `table` has.

    An external-content FTS5 index (diacritics removed) that Datasette detects.
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
    create = (
        f"CREATE VIRTUAL TABLE {quote(fts)} USING fts5({cols}, content={quote(table)}, "
        f"content_rowid='rowid', columnsize=0, tokenize='{FTS_TOKENIZER}')"
    )
    return fts, create, chosen


def create_fts(db: sqlite3.Connection, table: str, columns: Iterable[str]) -> str | None:
    """Create and fill `table`'s FTS5 index (see `fts_declaration`); returns its name."""
    declared = fts_declaration(db, table, columns)
    if declared is None:
        return None
    fts, create, _ = declared
    db.execute(create)
    fill_fts(db, fts)
    return fts


def fill_fts(db: sqlite3.Connection, fts: str) -> None:
    """Index every row of the FTS table's content table (FTS5's 'rebuild' command)."""
    db.execute(f"INSERT INTO {quote(fts)} ({quote(fts)}) VALUES ('rebuild')")


def main(argv: list[str]) -> None:
    """The helper process of `side_copy.start`: copy its job's rows, print their count."""
    job = SideCopy(**json.loads(argv[0]))
    rows = copy_to_side_file(job.warehouse, job.table, job.select, job.create, job.where, job.side)
    print(rows)


if __name__ == "__main__":
    main(sys.argv[1:])
