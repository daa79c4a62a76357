"""Write one immutable publication: a folder holding the SQLite file, its Datasette
metadata and its bulk downloads, built under a temporary name and renamed into place, then
made current by atomically replacing the pointer file `current.json`.

Datasette (see `plugin.py`) only ever opens what `current.json` names, so it never sees a
half-written file; old publications are pruned, keeping `keep` of them.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from ..warehouse.database import quote
from .fts_beside import building_beside
from .plan import TablePlan
from .sqlite_copy import (
    UNJOURNALED,
    copy_table,
    create_fts,
    create_indexes,
    set_pragmas,
    transaction,
)

POINTER = "current.json"
SNAPSHOTS = "snapshots"
DATABASE_FILE = "camp.db"
METADATA_FILE = "metadata.json"


@dataclass(frozen=True)
class Snapshot:
    """One publication, as recorded in `current.json`."""

    id: str
    path: Path  # the SQLite file
    tables: dict[str, int]  # published table -> rows
    created_at: str  # ISO 8601, UTC
    missing: tuple[str, ...] = ()  # planned tables absent from the warehouse
    timings: dict[str, float] = field(default_factory=dict)  # step -> seconds
    counts: dict[str, int] = field(default_factory=dict)  # every SQLite table, FTS included

    @property
    def folder(self) -> Path:
        return self.path.parent

    def to_json(self, publish_dir: Path) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path.relative_to(publish_dir))
        data["missing"] = list(self.missing)
        return data


def new_id(now: datetime) -> str:
    """Sortable, unique enough for one writer: `20261127T024500123456Z`."""
    return now.strftime("%Y%m%dT%H%M%S%fZ")


# How CREATE INDEX sorts, measured on 1M rows x 7 indexes (10 s -> 5 s): the sorter fills runs
# of `cache_size` bytes, sorts each one while still in the CPU cache, and hands them to helper
# threads; it uses no helper thread at all when temporary files live in memory, so they stay
# on disk (the OS caches them), and one big in-memory run sorted alone is twice as slow.
SORTER_PRAGMAS = ("threads = 2", "cache_size = -4096", "temp_store = FILE")
# From this many rows, a table's FTS index is built on a thread beside its B-tree indexes
# (`fts_beside`); below it, the side file's extraction and copy cost more than they overlap.
FTS_BESIDE_MIN_ROWS = 200_000


def write_sqlite(
    con: duckdb.DuckDBPyConnection, plans: list[TablePlan], path: Path
) -> tuple[dict[str, int], list[str], dict[str, float], dict[str, int]]:
    """Copy every planned table present in DuckDB into a new SQLite file at `path`."""
    present = {
        row[0]
        for row in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        ).fetchall()
    }
    db = sqlite3.connect(path, isolation_level=None)
    timings = {"load": 0.0, "indexes": 0.0, "fts": 0.0}
    tables: dict[str, int] = {}
    missing: list[str] = []
    try:
        set_pragmas(
            db,
            (
                "page_size = 16384",  # fewer, fuller pages: ~25 % faster bulk load than 4096
                *UNJOURNALED,  # normal locking: `copy_table` writes rows on its own connection
                *SORTER_PRAGMAS,
            ),
        )
        for plan in plans:
            if plan.name not in present:
                missing.append(plan.name)
                continue
            started = time.perf_counter()
            tables[plan.name] = copy_table(  # outside a transaction: rows go through ADBC
                con, db, plan.name, row_key=plan.layer in ("core", "quarantine")
            )
            timings["load"] += time.perf_counter() - started
            if tables[plan.name] >= FTS_BESIDE_MIN_ROWS and plan.fts:
                _index_with_fts_beside(db, plan, timings)
                continue
            with transaction(db):
                started = time.perf_counter()
                create_indexes(db, plan.name, plan.indexes)
                timings["indexes"] += time.perf_counter() - started
                started = time.perf_counter()
                create_fts(db, plan.name, plan.fts)
                timings["fts"] += time.perf_counter() - started
        started = time.perf_counter()
        db.execute("PRAGMA analysis_limit = 1000")  # sampled statistics: enough for the planner
        db.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - started
        counts = _all_counts(db, tables)
        db.execute("PRAGMA journal_mode = DELETE")
    finally:
        db.close()
    return tables, missing, timings, counts


def _index_with_fts_beside(
    db: sqlite3.Connection, plan: TablePlan, timings: dict[str, float]
) -> None:
    """A large table's B-tree indexes here while a thread builds its FTS index beside
    (`fts_beside`); `fts` times only what is not overlapped: extracting the searched columns,
    waiting for the thread, copying the index in.
    """
    started = time.perf_counter()
    with building_beside(db, plan.name, plan.fts) as build:
        timings["fts"] += time.perf_counter() - started
        started = time.perf_counter()
        with transaction(db):
            create_indexes(db, plan.name, plan.indexes)
        timings["indexes"] += time.perf_counter() - started
        started = time.perf_counter()
        if build is not None:
            build.copy_into(db)
    timings["fts"] += time.perf_counter() - started


def _all_counts(db: sqlite3.Connection, tables: dict[str, int]) -> dict[str, int]:
    """Row counts of every table, for Datasette's cached counts (immutable mode)."""
    counts = dict(tables)
    names = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for name in names:
        if name not in counts:
            counts[name] = db.execute(f"SELECT count(*) FROM {quote(name)}").fetchone()[0]
    return counts


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json_atomically(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def read_pointer(publish_dir: Path) -> dict[str, Any] | None:
    """What `current.json` says, or None before the first publication."""
    try:
        return json.loads((Path(publish_dir) / POINTER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def prune(publish_dir: Path, keep: int, current: str, grace_s: float = 900.0) -> list[str]:
    """Delete the oldest publications beyond `keep`, never the current one.

    A publication is deleted only once its successor is `grace_s` old: a running Datasette
    switches on its next request and may still be answering requests on the previous file
    (it closes it 10 minutes after switching, see `plugin.CLOSE_OLD_AFTER_S`).
    """
    folder = Path(publish_dir) / SNAPSHOTS
    ids = sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    now = time.time()
    removed = []
    for position, old in enumerate(ids[: max(0, len(ids) - max(keep, 1))]):
        successor = folder / ids[position + 1]
        if old != current and successor.stat().st_mtime <= now - grace_s:
            shutil.rmtree(folder / old, ignore_errors=True)
            removed.append(old)
    for stale in folder.glob(".tmp-*"):  # a crashed publication's leftovers
        if stale.stat().st_mtime < now - 3600:
            shutil.rmtree(stale, ignore_errors=True)
    return removed
