"""Datasette plugin: serve the current publication and switch to a new one live.

On every request the pointer file `current.json` is stat-ed (a few microseconds); when it
changed, the new snapshot is opened as an immutable database with its row counts already
known, and swapped in under the same name `camp` by replacing Datasette's database mapping
(one assignment). Requests already running keep the old database object, whose file stays
readable (open file handles survive pruning); its connections are closed minutes later.
Metadata follows the same pointer, through the `get_metadata` hook.

Registered by `pipelines.serve.app`; `PUBLISH_DIR` is set there before Datasette starts.
The pages participants read beyond Datasette's own (home, downloads) are in `pages.py`.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.database import Database
from datasette.plugins import pm

from ..publish.site import DATABASE
from ..publish.snapshot import METADATA_FILE, POINTER
from . import render
from .snapshot_database import SnapshotDatabase

log = logging.getLogger(__name__)

PUBLISH_DIR: Path | None = None
CLOSE_OLD_AFTER_S = 600.0  # longer than any request, CSV streams included
MARKDOWN_PLUGIN = "render_markdown"  # datasette-render-markdown, as pluggy names it


@dataclass
class State:
    """What is being served now."""

    stat_key: tuple[int, int] | None = None
    snapshot_id: str | None = None
    folder: Path | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # datasette.metadata() answers, per (key, database, table, fallback); emptied on swap.
    answers: dict[tuple[Any, ...], Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE = State()


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def _install(datasette: Any, db: Database) -> Database | None:
    """Put `db` under the name `camp` in one assignment; returns the database it replaced."""
    db.name = DATABASE
    db.route = DATABASE
    databases = dict(datasette.databases)
    old = databases.get(DATABASE)
    databases[DATABASE] = db
    datasette.databases = databases
    return old


def refresh(datasette: Any) -> bool:
    """Switch to the publication `current.json` names, if it changed; True if switched."""
    if PUBLISH_DIR is None:
        return False
    pointer = PUBLISH_DIR / POINTER
    key = _stat_key(pointer)
    if key is None or key == STATE.stat_key:
        return False
    with STATE.lock:
        if key == STATE.stat_key:
            return False
        try:
            current = json.loads(pointer.read_text(encoding="utf-8"))
            path = PUBLISH_DIR / current["path"]
            folder = path.parent
            metadata = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
            counts = current.get("counts") or current["tables"]
            if not path.is_file():
                raise FileNotFoundError(path)
        except (OSError, ValueError, KeyError) as error:
            log.warning(
                "camp: cannot switch to %s (%s); still serving %s",
                pointer,
                error,
                STATE.snapshot_id,
            )
            return False
        if current["id"] == STATE.snapshot_id:
            STATE.stat_key = key
            return False
        db = SnapshotDatabase(datasette, path, current["id"], counts)
        STATE.metadata = metadata
        STATE.answers.clear()
        _skip_markdown_cells(metadata)
        old = _install(datasette, db)
        STATE.snapshot_id, STATE.folder, STATE.stat_key = current["id"], folder, key
    log.info("camp: now serving snapshot %s", current["id"])
    if old is not None:
        try:
            asyncio.get_running_loop().call_later(CLOSE_OLD_AFTER_S, old.close)
        except RuntimeError:  # no loop (startup in tests): nothing runs on it yet
            old.close()
    return True


_RENDER_CELL = pm.hook.render_cell


def _markdown_cells(metadata: dict[str, Any]) -> bool:
    """Whether datasette-render-markdown would render any published cell: configured, or a
    column named like its default pattern `*_markdown`.
    """
    if "datasette-render-markdown" in json.dumps(metadata):
        return True
    for database in metadata.get("databases", {}).values():
        for table in database.get("tables", {}).values():
            if any(fnmatch(c, "*_markdown") for c in table.get("columns", {})):
                return True
    return False


def _skip_markdown_cells(metadata: dict[str, Any]) -> None:
    """Leave datasette-render-markdown out of `render_cell` when no cell is Markdown.

    Datasette asks every `render_cell` plugin about every cell: on a 100-row page that is
    1,800 calls, each reading the plugin's configuration, for a plugin that only renders
    `*_markdown` columns. Its Markdown in templates (dashboards) is untouched.
    """
    pm.hook.render_cell = _RENDER_CELL  # what pluggy subsets are made from
    plugin = pm.get_plugin(MARKDOWN_PLUGIN)
    if plugin is None or _markdown_cells(metadata):
        return
    subset = pm.subset_hook_caller("render_cell", remove_plugins=[plugin])
    # With no other renderer left, skip pluggy's own per-call cost too (plugins register
    # before the first request, and this runs again on every swap).
    pm.hook.render_cell = subset if subset.get_hookimpls() else _NoCellRenderer()


class _NoCellRenderer:
    """`render_cell` with no implementation left: answers at once (pluggy's dispatch costs
    about 10 µs a cell), and lists no implementation to pluggy's introspection.
    """

    name = "render_cell"

    def __call__(self, **kwargs: Any) -> list[Any]:
        return []

    def get_hookimpls(self) -> list[Any]:
        return []


def _memoize_metadata(datasette: Any) -> None:
    """Datasette merges every metadata source on each call: `metadata()` about 15 times per
    cell when render_cell plugins ask for their config, and `_table_permission_allows` (a deep
    copy of all the metadata, three times per table page, for the view-table check). The
    sources change only on a swap, so the answers are kept until then.
    """
    original = datasette.metadata
    table_allows = datasette._table_permission_allows

    def metadata(
        key: Any = None, database: Any = None, table: Any = None, fallback: bool = True
    ) -> Any:
        index = ("metadata", key, database, table, fallback)
        try:
            hash(index)
        except TypeError:  # unhashable arguments: ask Datasette
            return original(key=key, database=database, table=table, fallback=fallback)
        return _remembered(
            index, lambda: original(key=key, database=database, table=table, fallback=fallback)
        )

    def _table_permission_allows(database: str, table: str) -> list[Any]:
        # A list of the `allow` blocks that apply, which callers only read.
        return _remembered(("allows", database, table), lambda: table_allows(database, table))

    datasette.metadata = metadata
    datasette._table_permission_allows = _table_permission_allows


def _remembered(index: tuple[Any, ...], answer: Any) -> Any:
    """`STATE.answers[index]`, computed by `answer()` the first time after a swap."""
    try:
        return STATE.answers[index]
    except KeyError:
        pass
    value = answer()
    if len(STATE.answers) > 100_000:
        STATE.answers.clear()
    STATE.answers[index] = value
    return value


def _refresh_schemas_on_change(datasette: Any) -> None:
    """Refresh Datasette's schema tables only when what is served changed.

    Datasette asks every database for its schema version before each request (four SQL
    thread hops here: its `_internal` table, `_internal`, `_memory`, the snapshot). A snapshot
    never changes, `_internal` is written only by this refresh and nothing here writes to
    `_memory`: the answer can only change with a swap, or a database added by a plugin.
    """
    original = datasette.refresh_schemas
    refreshed_for: list[Any] = [None]

    async def refresh_schemas() -> None:
        served = (STATE.snapshot_id, tuple(datasette.databases))
        if served != refreshed_for[0]:
            await original()
            refreshed_for[0] = served

    datasette.refresh_schemas = refresh_schemas


@hookimpl
def startup(datasette: Any) -> None:
    _memoize_metadata(datasette)
    _refresh_schemas_on_change(datasette)
    render.use_plain_cells()
    _freeze_startup_objects()
    refresh(datasette)


def _freeze_startup_objects() -> None:
    """Keep the objects built at startup (modules, Datasette and its plugins: about 85,000)
    out of every later garbage collection.

    A full collection walked them all, 50-80 ms with the GIL held, about twice a second
    under load (each page's thousands of cell objects push collections); frozen, a full
    collection walks only what was made since. Frozen objects are still freed by reference
    counting, but never as part of a cycle: the snapshot, opened after this, is not frozen,
    so a swap frees it whole.
    """
    gc.collect()
    gc.freeze()


@hookimpl
def prepare_jinja2_environment(env: Any) -> None:
    render.install(env)


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict[str, Any]:
    return STATE.metadata


def _without_cursor_facets(scope: dict[str, Any]) -> dict[str, Any]:
    """Skip the default facets on pages after the first (`_next`) of a table.

    Datasette 0.65 computes them over the rows *after the cursor* only: wrong counts, and a
    scan of the rest of the table on every page. The first page shows them; facets asked for
    explicitly (`_facet=`) are still computed.
    """
    query = scope.get("query_string", b"")
    if b"_next=" not in query or b"_facet" in query or b"_nofacet" in query:
        return scope
    if not scope.get("path", "").startswith(f"/{DATABASE}/"):
        return scope
    return {**scope, "query_string": query + b"&_nofacet=1"}


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http":
                refresh(datasette)
                scope = _without_cursor_facets(scope)
            await app(scope, receive, send)

        return checked

    return wrap
