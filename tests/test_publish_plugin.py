"""Small rules of the Datasette plugin and the serve command, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.serve.app import _serve_params, _split_workers
from pipelines.serve.command import SETTINGS, datasette_command
from pipelines.serve.plugin import _without_cursor_facets
from pipelines.serve.snapshot_database import _cache_key


@pytest.mark.parametrize(
    "sql",
    [
        "select random()",
        "select * from t where d > date('now')",
        "select CURRENT_TIMESTAMP",
        "select julianday()",
    ],
)
def test_volatile_queries_are_never_cached(sql: str) -> None:
    assert _cache_key(sql, None) is None


def test_cache_key_ignores_parameter_order_but_not_values() -> None:
    sql = "select count(*) from t where a = :a and b = :b"
    assert _cache_key(sql, {"a": 1, "b": 2}) == _cache_key(sql, {"b": 2, "a": 1})
    assert _cache_key(sql, {"a": 1, "b": 2}) != _cache_key(sql, {"a": 1, "b": 3})
    assert _cache_key(sql, {"a": object()}) is None  # not JSON: not cached


@pytest.mark.parametrize(
    ("path", "query", "skipped"),
    [
        ("/camp/core_decp__marches", b"_next=200", True),
        ("/camp/core_decp__marches.json", b"_size=5&_next=200", True),
        ("/camp/core_decp__marches", b"", False),  # first page keeps its facets
        ("/camp/core_decp__marches", b"_next=200&_facet=procedure", False),  # asked for
        ("/-/dashboards", b"_next=3", False),
    ],
)
def test_default_facets_skipped_after_the_first_page(path: str, query: bytes, skipped: bool):
    scope = _without_cursor_facets({"type": "http", "path": path, "query_string": query})
    assert scope["query_string"].endswith(b"&_nofacet=1") is skipped


def test_serve_command_sets_cors_limits_and_workers(tmp_path: Path) -> None:
    argv = datasette_command(tmp_path, host="127.0.0.1", port=8123, workers=3)
    workers, rest = _split_workers(argv[argv.index(str(tmp_path.resolve())) + 1 :])
    assert workers == 3
    params = _serve_params(rest)  # Datasette's own parser accepts every option
    assert params["cors"] is True
    assert (params["host"], params["port"]) == ("127.0.0.1", 8123)
    assert dict(params["settings"])["sql_time_limit_ms"] == int(SETTINGS["sql_time_limit_ms"])
    assert dict(params["settings"])["suggest_facets"] is False


@pytest.fixture
def cell_hook():
    """datasette-render-markdown registered, and `render_cell` restored after the test."""
    from datasette.plugins import pm

    from pipelines.serve import plugin

    assert pm.get_plugin(plugin.MARKDOWN_PLUGIN) is not None
    yield pm
    pm.hook.render_cell = plugin._RENDER_CELL


def metadata_with(column: str, plugins: dict | None = None) -> dict:
    table = {"columns": {"nom": "Nom", column: "Texte"}}
    return {"databases": {"camp": {"tables": {"t": table}}}, "plugins": plugins or {}}


class NoConfig:
    def plugin_config(self, *args, **kwargs) -> None:
        return None


def ask(pm, column: str) -> list:
    return pm.hook.render_cell(
        row=None, value="**gras**", column=column, table="t", database="camp", datasette=NoConfig()
    )


def test_markdown_cell_renderer_left_out_only_without_markdown_columns(cell_hook) -> None:
    from datasette.plugins import get_plugins

    from pipelines.serve.plugin import _markdown_cells, _skip_markdown_cells

    assert not _markdown_cells(metadata_with("notes"))
    assert _markdown_cells(metadata_with("notes_markdown"))
    assert _markdown_cells(metadata_with("notes", {"datasette-render-markdown": {}}))

    _skip_markdown_cells(metadata_with("notes"))
    _skip_markdown_cells(metadata_with("nom"))  # every swap decides again
    assert ask(cell_hook, "notes_markdown") == []
    assert any(p["name"] == "datasette-render-markdown" for p in get_plugins())  # still listed
    _skip_markdown_cells(metadata_with("notes_markdown"))  # a later publication has some
    assert "<strong>gras</strong>" in str(ask(cell_hook, "notes_markdown")[0])


def snapshot_database(tmp_path: Path):
    import sqlite3

    from datasette.app import Datasette

    from pipelines.serve.snapshot_database import SnapshotDatabase

    path = tmp_path / "camp.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (a INTEGER, b TEXT)")
    db.executemany("INSERT INTO t VALUES (?, ?)", [(1, "x"), (2, "y"), (2, "z")])
    db.commit()
    db.close()
    return SnapshotDatabase(Datasette([]), path, "s1", {"t": 3})


def test_whole_table_count_is_the_published_one_and_filtered_counts_run(tmp_path, monkeypatch):
    import asyncio

    from datasette.database import Database

    snapshot = snapshot_database(tmp_path)
    filtered = asyncio.run(snapshot.execute("select count(*) from t where a = 2"))
    assert filtered.rows[0][0] == 2

    async def no_sqlite(*args, **kwargs):
        raise AssertionError("the whole table's count reached SQLite")

    monkeypatch.setattr(Database, "execute", no_sqlite)
    assert asyncio.run(snapshot.execute("select count(*) from t ")).rows[0][0] == 3


def test_schema_answers_are_kept_per_snapshot_and_copied(tmp_path) -> None:
    import asyncio

    snapshot = snapshot_database(tmp_path)
    hops = []
    original = snapshot.execute_fn

    async def counted(fn):
        hops.append(fn)
        return await original(fn)

    snapshot.execute_fn = counted

    async def twice() -> tuple[list[str], list[str]]:
        first = await snapshot.table_columns("t")
        first.append("changed by a caller")
        return first, await snapshot.table_columns("t")

    first, second = asyncio.run(twice())
    assert second == ["a", "b"] and len(hops) == 1


COSTLY_SQL = (  # about 0.1 s of SQLite CPU, on any table
    "with recursive c(x) as (select 1 union all select x + 1 from c where x < 1000000) "
    "select count(*) from c"
)


def test_results_cached_for_their_cpu_time_not_their_wait(tmp_path) -> None:
    import asyncio
    import threading
    from concurrent.futures import ThreadPoolExecutor

    snapshot = snapshot_database(tmp_path)
    snapshot.ds.executor.shutdown()
    snapshot.ds.executor = ThreadPoolExecutor(max_workers=1)  # one SQL thread to queue on
    busy = threading.Event()

    def hold_the_thread(conn) -> None:
        busy.wait(0.5)

    async def queued_cheap_query() -> None:
        blocker = asyncio.ensure_future(snapshot.execute_fn(hold_the_thread))
        cheap = await snapshot.execute("select a, b from t where a = 2")  # waits ~0.5 s
        assert len(cheap.rows) == 2
        await blocker
        await snapshot.execute(COSTLY_SQL)

    asyncio.run(queued_cheap_query())
    cached = [key[0] for key in snapshot._results]
    assert cached == [COSTLY_SQL]


def test_schema_refresh_runs_again_only_after_a_swap(monkeypatch) -> None:
    import asyncio

    from datasette.app import Datasette

    from pipelines.serve import plugin

    ds = Datasette([])
    refreshes = []

    async def counted() -> None:
        refreshes.append(plugin.STATE.snapshot_id)

    ds.refresh_schemas = counted
    monkeypatch.setattr(plugin.STATE, "snapshot_id", "s1")
    plugin._refresh_schemas_on_change(ds)
    asyncio.run(ds.refresh_schemas())
    asyncio.run(ds.refresh_schemas())
    monkeypatch.setattr(plugin.STATE, "snapshot_id", "s2")
    asyncio.run(ds.refresh_schemas())
    assert refreshes == ["s1", "s2"]


def test_remembered_table_permissions_still_deny(monkeypatch) -> None:
    import asyncio

    from datasette.app import Datasette

    from pipelines.serve import plugin

    private = {"databases": {"camp": {"tables": {"t": {"allow": {"id": "root"}}}}}}
    monkeypatch.setattr(plugin.STATE, "answers", {})
    ds = Datasette([], metadata=private)
    plugin._memoize_metadata(ds)

    async def allowed(actor: dict | None) -> bool | None:
        return await ds.permission_allowed(actor, "view-table", ("camp", "t"), default=None)

    assert ds._table_permission_allows("camp", "t") == [{"id": "root"}]
    assert asyncio.run(allowed(None)) is False
    assert asyncio.run(allowed(None)) is False  # answered from memory: still denied
    assert asyncio.run(allowed({"id": "root"})) is True
