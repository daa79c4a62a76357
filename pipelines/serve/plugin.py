"""Datasette plugin: serve the current publication and switch to a new one live.

On every request the pointer file `current.json` is stat-ed (a few microseconds); when it
changed, the new snapshot is added with Datasette's own `add_database`, as an immutable
database named for its snapshot (`camp-<id>`) at the stable route `/camp`. Its row counts
come from the publication, handed to Datasette as `inspect` data (what `datasette inspect`
writes), so no page counts a whole table. A distinct name per snapshot matters: Datasette
keeps one connection per SQL thread and database *name*, so a new name means new connections
to the new file. The snapshot it replaces stays reachable by its own name for requests still
running on it, then is removed (`remove_database`) and closed after a grace period.

Metadata follows the same pointer through the `get_metadata` hook. Registered by
`pipelines.serve.app`; `PUBLISH_DIR` is set there before Datasette starts.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.database import Database
from datasette.utils.asgi import Response

from ..publish.site import DATABASE
from ..publish.snapshot import METADATA_FILE, POINTER

log = logging.getLogger(__name__)

PUBLISH_DIR: Path | None = None
CLOSE_OLD_AFTER_S = 600.0  # longer than any request, CSV streams included
DASHBOARDS_PLUGIN = "datasette-dashboards"


@dataclass
class State:
    """What is being served now."""

    stat_key: tuple[int, int] | None = None
    snapshot_id: str | None = None
    folder: Path | None = None
    name: str | None = None  # the Datasette database name of the snapshot served
    metadata: dict[str, Any] = field(default_factory=dict)  # as published (`databases.camp`)
    served: dict[str, Any] = field(default_factory=dict)  # as `get_metadata` answers it
    retiring: list[str] = field(default_factory=list)  # names kept for requests in flight
    lock: threading.Lock = field(default_factory=threading.Lock)


STATE = State()


def database_name(snapshot_id: str) -> str:
    """The Datasette name of a snapshot's database; its route is always `camp`."""
    return f"{DATABASE}-{snapshot_id}"


def _stat_key(path: Path) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns)


def served_metadata(metadata: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The published metadata as Datasette must see it: the `camp` database's block under
    each snapshot name being served (Datasette looks metadata up by name), and kept under
    `camp` too (the name `/-/metadata.json` documents). Dashboards name their database: they
    are pointed at the current snapshot (`names[0]`).
    """
    databases = dict(metadata.get("databases") or {})
    block = databases.get(DATABASE)
    if block is not None:
        databases.update({name: block for name in names})
    served = {**metadata, "databases": databases}
    plugins = dict(metadata.get("plugins") or {})
    if DASHBOARDS_PLUGIN in plugins and names:
        plugins[DASHBOARDS_PLUGIN] = _renamed_db(plugins[DASHBOARDS_PLUGIN], names[0])
        served["plugins"] = plugins
    return served


def _renamed_db(config: Any, name: str) -> Any:
    """`config` with every `"db": "camp"` (a chart's or filter's database) set to `name`."""
    if isinstance(config, dict):
        return {
            k: name if k == "db" and v == DATABASE else _renamed_db(v, name)
            for k, v in config.items()
        }
    if isinstance(config, list):
        return [_renamed_db(v, name) for v in config]
    return config


def _inspect_entry(path: Path, snapshot_id: str, counts: dict[str, int]) -> dict[str, Any]:
    """What `datasette inspect` records for a file: its hash (the snapshot id names the
    content), size and every table's count, known at publication."""
    return {
        "hash": snapshot_id,
        "size": path.stat().st_size,
        "file": path.name,
        "tables": {table: {"count": n} for table, n in counts.items()},
    }


def _serve(datasette: Any, path: Path, snapshot_id: str, counts: dict[str, int]) -> str | None:
    """Serve `path` at `/camp` under its snapshot's name; returns the name it replaced.

    The new database is added before the old one is moved behind it, all in one step of the
    event loop: `/camp` always resolves, and to the new snapshot first (Datasette takes the
    first database with the route). The old one keeps its name for requests running on it.
    """
    name = database_name(snapshot_id)
    inspect = dict(datasette.inspect_data or {})
    inspect[name] = _inspect_entry(path, snapshot_id, counts)
    datasette.inspect_data = inspect
    datasette.add_database(Database(datasette, path=str(path), is_mutable=False), name, DATABASE)
    for other, db in list(datasette.databases.items()):  # every older one, still retiring
        if other != name and db.route == DATABASE:
            datasette.remove_database(other)
            datasette.add_database(db, other, DATABASE)  # now after the new one
    return STATE.name


def _retire(datasette: Any, name: str) -> None:
    """Stop serving a replaced snapshot and close its connections."""
    db = datasette.databases.get(name)
    if db is not None and name != STATE.name:
        datasette.remove_database(name)
        db.close()
    inspect = dict(datasette.inspect_data or {})
    inspect.pop(name, None)
    datasette.inspect_data = inspect
    with STATE.lock:
        if name in STATE.retiring:
            STATE.retiring.remove(name)
            STATE.served = served_metadata(STATE.metadata, [STATE.name or "", *STATE.retiring])


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
        old = _serve(datasette, path, current["id"], counts)
        STATE.name = database_name(current["id"])
        if old is not None:
            STATE.retiring.append(old)
        STATE.metadata = metadata
        STATE.served = served_metadata(metadata, [STATE.name, *STATE.retiring])
        STATE.snapshot_id, STATE.folder, STATE.stat_key = current["id"], folder, key
    log.info("camp: now serving snapshot %s", current["id"])
    if old is not None:
        try:
            asyncio.get_running_loop().call_later(CLOSE_OLD_AFTER_S, _retire, datasette, old)
        except RuntimeError:  # no loop (startup in tests): nothing runs on it yet
            _retire(datasette, old)
    return True


@hookimpl
def startup(datasette: Any) -> None:
    _freeze_startup_objects()
    refresh(datasette)


def _freeze_startup_objects() -> None:
    """Keep the objects built at startup (modules, Datasette and its plugins: about 85,000)
    out of every later garbage collection (Python's documented `gc.freeze`).

    A full collection walked them all, 50-80 ms with the GIL held, about twice a second
    under load (each page's thousands of cell objects push collections). Frozen objects are
    still freed by reference counting; the snapshots, opened after this, are not frozen.
    """
    gc.collect()
    gc.freeze()


async def by_snapshot_name(datasette: Any, request: Any) -> Response:
    """`/camp-<id>.json?sql=…` → `/camp.json?sql=…`: datasette-dashboards' script builds its
    query URLs from the database *name*, which is the snapshot's; the route is `/camp`."""
    query = f"?{request.query_string}" if request.query_string else ""
    return Response.redirect(datasette.urls.path(f"/{DATABASE}.json") + query)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(rf"^/{DATABASE}-[0-9A-Za-z]+\.json$", by_snapshot_name)]


@hookimpl
def get_metadata(datasette: Any, key: Any, database: Any, table: Any) -> dict[str, Any]:
    return STATE.served


def _without_cursor_facets(scope: dict[str, Any]) -> dict[str, Any]:
    """Skip the default facets on pages after the first (`_next`) of a table.

    Datasette 0.65 computes them over the rows *after the cursor* only: wrong counts, and a
    scan of the rest of the table on every page. The first page shows them; facets asked for
    explicitly (`_facet=`) are still computed. (`_nofacet` is Datasette's documented
    parameter; this only adds it to the request.)
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
