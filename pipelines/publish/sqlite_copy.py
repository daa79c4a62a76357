"""Copy DuckDB tables into a SQLite file: typed columns, indexes, French full-text search.

DuckDB's own `sqlite` extension needs a download (its PyPI repackagings stop at DuckDB 1.5.5,
ours is 2.0), so rows leave DuckDB as Arrow record batches and the ADBC SQLite driver binds
them in C (`adbc_ingest`): no Python object per value, one core, and 2-5x faster than the
`executemany` copy it replaced, even split over two processes (`benchmarks/sqlite_copy.py`).
Types are mapped once from DuckDB's column types, never guessed from values: a number
stays a number even if the source had malformed cells (those are in quarantine).
"""

from __future__ import annotations

import contextlib
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import adbc_driver_sqlite.dbapi as adbc_sqlite
import duckdb

from ..warehouse.database import quote

BATCH_ROWS = 50_000
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
            return _utc_iso(quote(column))
        if base == "VARCHAR":
            return quote(column)
        return f"CAST({quote(column)} AS VARCHAR)"
    return quote(column)


def _utc_iso(column: str) -> str:
    """An instant as ISO 8601 UTC with its `Z` (`2026-07-07T07:07:34Z`, microseconds only when
    there are some), whatever the session's TimeZone: the reader of the text must not have to
    guess whether it is UTC or Paris time. `infinity` stays as DuckDB writes it.
    """
    utc = f"({column} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN isfinite({column}) THEN "
        f"replace(strftime({utc}, '%Y-%m-%dT%H:%M:%S.%f'), '.000000', '') || 'Z' "
        f"ELSE CAST({column} AS VARCHAR) END"
    )


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
    Outside a transaction, into a file, the rows go through ADBC (`ingest_rows`) on a
    connection of its own, so `db` must hold no lock then (no `locking_mode = EXCLUSIVE`);
    inside one or in memory, through `db` itself (`insert_rows`).
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
    # Aliased: ADBC inserts by column name.
    select = ", ".join(
        f"{_select_expression(name, duck_type)} AS {quote(name)}" for name, duck_type in columns
    )
    target = database_file(db)
    if db.in_transaction or not target:
        return insert_rows(con, db, table, select)
    return ingest_rows(con, target, table, select)


def ingest_rows(con: duckdb.DuckDBPyConnection, target: str, table: str, select: str) -> int:
    """Append DuckDB's `SELECT {select} FROM table` to the SQLite table of the same name in the
    file `target`, as Arrow batches bound by the ADBC SQLite driver in one transaction;
    returns how many rows.
    """
    # No ORDER BY: DuckDB keeps insertion order (the pipeline writes rows in `_row` order), and
    # the rowid is `_row` whatever order rows arrive in; sorting 1M rows cost seconds.
    # A cursor of its own: `con` may hold a result not fetched to its end.
    with contextlib.closing(con.cursor()) as source:
        reader = source.sql(f"SELECT {select} FROM {quote(table)}").to_arrow_reader(BATCH_ROWS)
        # autocommit: the pragmas cannot change inside the transaction ADBC would open.
        with adbc_sqlite.connect(target, autocommit=True) as sqlite, sqlite.cursor() as cursor:
            for pragma in UNJOURNALED:
                cursor.execute(f"PRAGMA {pragma}")
            cursor.execute("BEGIN")
            try:
                rows = cursor.adbc_ingest(table, reader, mode="append")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
    return rows


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    db: sqlite3.Connection,
    table: str,
    select: str,
) -> int:
    """Insert the rows of DuckDB's `SELECT {select} FROM table` into the SQLite
    table of the same name through `db` (`executemany`); returns how many.
    """
    cursor = con.cursor()
    cursor.execute(f"SELECT {select} FROM {quote(table)}")
    width = len(cursor.description or ())
    insert = f"INSERT INTO {quote(table)} VALUES ({', '.join('?' * width)})"
    rows = 0
    for batch in _prefetched(cursor):
        db.executemany(insert, batch)
        rows += len(batch)
    return rows


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
