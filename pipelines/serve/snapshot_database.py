"""The database Datasette serves: one immutable snapshot, with its answers kept.

A snapshot never changes, so its row counts (recorded at publication), its schema and the
results of its costly queries are each computed once and kept with it; a swap replaces the
whole object (see `plugin.refresh`).
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
import time
from collections import OrderedDict
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from datasette.database import Database, Results, connections
from datasette.utils import escape_sqlite

# A snapshot never changes, so a read query's result never changes either: costly results
# (facets and counts over a whole table, recomputed by every table page) are kept in memory.
# "Costly" is the CPU time the query took in its SQL thread, not the time it waited there:
# under load every query waits, and a cache keyed on waiting would keep each cheap table
# page's rows as if they were worth it.
CACHE_ENTRIES = 2000
CACHE_MIN_CPU_S = 0.005  # cheaper queries are not worth the memory
CACHE_MAX_ROWS = 1000
_VOLATILE = re.compile(r"random|now|current_|julianday\s*\(\s*\)|changes\s*\(", re.IGNORECASE)


# Set by `SnapshotDatabase.execute` for the `execute_fn` it calls: where the SQL thread
# reports the CPU time the query took.
_QUERY_CPU: ContextVar[list[float] | None] = ContextVar("camp_query_cpu", default=None)


class SnapshotDatabase(Database):
    """An immutable snapshot whose per-thread connections are keyed by snapshot, not by name
    (Datasette keys them by database name, which would keep serving the old file after a
    swap), with a bounded cache of costly query results.
    """

    def __init__(self, ds: Any, path: Path, snapshot_id: str, counts: dict[str, int]) -> None:
        super().__init__(ds, path=str(path), is_mutable=False)
        self.snapshot_id = snapshot_id
        self._thread_key = f"camp_snapshot_{snapshot_id}"
        self._cached_table_counts = dict(counts)
        self.cached_hash = snapshot_id  # the snapshot id names the content; no file hashing
        self.cached_size = path.stat().st_size
        self._results: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._schema: dict[tuple[Any, ...], Any] = {}
        # The exact SQL of a table page's unfiltered count (views/table.py builds it so).
        self._count_sql = {
            f"select count(*) from {escape_sqlite(t)} ": n for t, n in counts.items()
        }

    async def execute(
        self,
        sql: str,
        params: Any = None,
        truncate: bool = False,
        custom_time_limit: Any = None,
        page_size: Any = None,
        log_sql_errors: bool = True,
    ) -> Any:
        if sql in self._count_sql:  # a whole table's count, as published: no scan
            return Results([(self._count_sql[sql],)], False, [("count(*)",)])
        key = _cache_key(sql, params, truncate, custom_time_limit, page_size)
        if key is not None and key in self._results:
            self._results.move_to_end(key)
            return self._results[key]
        cpu_seconds: list[float] = []
        token = _QUERY_CPU.set(cpu_seconds)
        try:
            results = await super().execute(
                sql, params, truncate, custom_time_limit, page_size, log_sql_errors
            )
        finally:
            _QUERY_CPU.reset(token)
        costly = sum(cpu_seconds) >= CACHE_MIN_CPU_S or "sqlite_master" in sql
        if key is not None and costly and len(results.rows) <= CACHE_MAX_ROWS:
            self._results[key] = results
            if len(self._results) > CACHE_ENTRIES:
                self._results.popitem(last=False)
        return results

    async def execute_fn(self, fn: Any) -> Any:
        cpu_seconds = _QUERY_CPU.get()
        if cpu_seconds is not None:
            fn = _timed(fn, cpu_seconds)
        if self.ds.executor is None:
            return await super().execute_fn(fn)

        def in_thread() -> Any:
            conn = getattr(connections, self._thread_key, None)
            if not conn:
                conn = self.connect()
                self.ds._prepare_connection(conn, self.name)
                setattr(connections, self._thread_key, conn)
            return fn(conn)

        return await asyncio.get_event_loop().run_in_executor(self.ds.executor, in_thread)


def _timed(fn: Any, cpu_seconds: list[float]) -> Any:
    """`fn`, adding the CPU time its thread spends in it to `cpu_seconds`."""

    def timed(conn: Any) -> Any:
        started = time.thread_time()
        try:
            return fn(conn)
        finally:
            cpu_seconds.append(time.thread_time() - started)

    return timed


# Schema questions Datasette asks on every table page (about 15 thread hops and queries on
# sqlite_master): a snapshot's schema never changes, so each answer is kept with the snapshot.
SCHEMA_METHODS = (
    "table_exists",
    "table_names",
    "table_columns",
    "table_column_details",
    "primary_keys",
    "fts_table",
    "label_column_for_table",
    "foreign_keys_for_table",
    "hidden_table_names",
    "view_names",
    "get_all_foreign_keys",
    "get_table_definition",
    "get_view_definition",
)


def _memoized(name: str) -> Any:
    original = getattr(Database, name)

    async def method(self: SnapshotDatabase, *args: Any, **kwargs: Any) -> Any:
        key = (name, args, tuple(sorted(kwargs.items())))
        try:
            answer = self._schema[key]
        except KeyError:
            answer = self._schema[key] = await original(self, *args, **kwargs)
        return copy.deepcopy(answer)  # callers may change what they get

    method.__name__ = name
    method.__doc__ = original.__doc__
    return method


for _name in SCHEMA_METHODS:
    setattr(SnapshotDatabase, _name, _memoized(_name))


def _cache_key(sql: str, params: Any, *options: Any) -> tuple[Any, ...] | None:
    if _VOLATILE.search(sql):
        return None
    try:
        return (sql, json.dumps(params, sort_keys=True) if params else "", *options)
    except (TypeError, ValueError):
        return None
