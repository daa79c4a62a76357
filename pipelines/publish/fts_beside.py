"""Build a large table's FTS5 index on a thread, in a side file, while the main connection
builds the table's B-tree indexes; then copy the finished index into the main file.

Both builds run inside SQLite's C code with the GIL released, so they use both cores. The
side file gets the table's rowid and searched columns (copied by SQLite, no Python per row),
the same FTS5 declaration and the same 'rebuild' as in place. FTS5 keeps its index in
ordinary shadow tables (`<fts>_data`, `_idx`, `_config`), so copying their rows gives the
main file the very index a 'rebuild' there would write; the tests check it with FTS5's own
integrity-check against the published table.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..warehouse.database import quote
from .sqlite_copy import (
    UNJOURNALED,
    attached,
    database_file,
    fill_fts,
    fts_declaration,
    set_pragmas,
    transaction,
)

_SHADOWS = ("data", "idx", "config", "docsize", "content")


class SideFts:
    """An FTS5 index being built on a thread in `side`; `copy_into` moves it to the main file."""

    def __init__(self, fts: str, create: str, side: Path) -> None:
        self.fts, self.create, self.side = fts, create, side
        self.errors: list[BaseException] = []
        self.thread = threading.Thread(target=self._build, name=f"fts-{fts}", daemon=True)

    def _build(self) -> None:
        try:
            side = sqlite3.connect(self.side, isolation_level=None)
            try:
                set_pragmas(side, UNJOURNALED)
                side.execute(self.create)
                fill_fts(side, self.fts)
            finally:
                side.close()
        except BaseException as error:  # raised by `copy_into`, in the caller's thread
            self.errors.append(error)

    def copy_into(self, db: sqlite3.Connection) -> str:
        """Wait for the build, then create the FTS table in `db` (outside a transaction) with
        the side file's shadow rows; returns the FTS table's name.
        """
        self.thread.join()
        if self.errors:
            raise self.errors[0]
        with attached(db, self.side, "fts_side"):
            names = [f"{self.fts}_{shadow}" for shadow in _SHADOWS]
            marks = ", ".join("?" * len(names))
            shadows = [
                row[0]
                for row in db.execute(
                    f"SELECT name FROM fts_side.sqlite_master WHERE type = 'table' "
                    f"AND name IN ({marks})",
                    names,
                )
            ]
            with transaction(db):
                db.execute(self.create)  # empty shadow tables, then the side file's rows
                for shadow in shadows:
                    db.execute(f"DELETE FROM main.{quote(shadow)}")
                    db.execute(
                        f"INSERT INTO main.{quote(shadow)} SELECT * FROM fts_side.{quote(shadow)}"
                    )
        return self.fts


@contextlib.contextmanager
def building_beside(
    db: sqlite3.Connection, table: str, columns: Iterable[str]
) -> Iterator[SideFts | None]:
    """Start building `table`'s FTS index beside `db` (a file, outside a transaction); None if
    it has no searched column. The side file is gone on exit, whatever happened.
    """
    declared = fts_declaration(db, table, columns)
    if declared is None:
        yield None
        return
    fts, create, chosen = declared
    side = Path(database_file(db)).with_name(f".{fts}.side.db")
    side.unlink(missing_ok=True)
    build = SideFts(fts, create, side)
    try:
        cols = ", ".join(quote(c) for c in chosen)
        with attached(db, side, "fts_side"):
            set_pragmas(db, ("page_size = 16384", *UNJOURNALED), schema="fts_side")
            with transaction(db):
                db.execute(f"CREATE TABLE fts_side.{quote(table)} ({cols})")
                db.execute(
                    f"INSERT INTO fts_side.{quote(table)} (rowid, {cols}) "
                    f"SELECT rowid, {cols} FROM main.{quote(table)}"
                )
        build.thread.start()
        yield build
    finally:
        if build.thread.is_alive():
            build.thread.join()
        side.unlink(missing_ok=True)
