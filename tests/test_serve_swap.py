"""The served publication switches through Datasette's own `add_database`/`remove_database`:
no failed request during a swap, new rows visible at once, counts as published.

Real Datasette in this process (its ASGI app through `datasette.client`, its SQL threads);
tiny snapshots written as `publish/` writes them (a SQLite file, its metadata, the pointer).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from datasette import hookimpl
from datasette.app import Datasette
from datasette.plugins import pm

from pipelines.publish.snapshot import METADATA_FILE, POINTER, write_json_atomically
from pipelines.serve import plugin
from pipelines.serve.app import _register

PAUSE = "attendre"  # a `nom` whose cell waits for the test's barrier


def write_snapshot(
    publish_dir: Path, snapshot_id: str, names: list[str], published_count: int | None = None
) -> None:
    """One snapshot of table `t` (`nom`, `montant` in euros, `quand`), made current."""
    folder = publish_dir / "snapshots" / snapshot_id
    folder.mkdir(parents=True)
    db = sqlite3.connect(folder / "camp.db")
    db.execute("CREATE TABLE t (_row INTEGER PRIMARY KEY, nom TEXT, montant REAL, quand TEXT)")
    db.executemany(
        "INSERT INTO t (nom, montant, quand) VALUES (?, ?, ?)",
        [(name, 61100.0 + i, "2026-12-03T07:07:34Z") for i, name in enumerate(names)],
    )
    db.commit()
    db.close()
    metadata = {
        "title": "Données du territoire",
        "databases": {"camp": {"tables": {"t": {"title": f"Table t ({snapshot_id})"}}}},
        "x-camp": {"created_at": "2026-12-03T07:00:00Z", "formats": {"t": {"montant": "euro"}}},
    }
    (folder / METADATA_FILE).write_text(json.dumps(metadata), encoding="utf-8")
    count = len(names) if published_count is None else published_count
    write_json_atomically(
        publish_dir / POINTER,
        {
            "id": snapshot_id,
            "path": f"snapshots/{snapshot_id}/camp.db",
            "tables": {"t": count},
            "counts": {"t": count},
        },
    )


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The project's plugins registered over `tmp_path` (unregistered after), fresh state."""
    before = set(pm.get_plugins())
    monkeypatch.setattr(plugin, "STATE", plugin.State())
    _register(str(tmp_path))
    try:
        yield tmp_path
    finally:
        for added in set(pm.get_plugins()) - before:
            pm.unregister(added)
        plugin.PUBLISH_DIR = None


def rows_of(data: dict[str, Any]) -> list[str]:
    return [row["nom"] for row in data["rows"]]


class Pause:
    """A `render_cell` plugin (async, as Datasette allows) holding one page in flight."""

    __name__ = "camp_test_pause"  # Datasette lists plugins by module name

    def __init__(self) -> None:
        self.in_flight = asyncio.Event()
        self.release = asyncio.Event()

    @hookimpl
    def render_cell(self, value: Any, column: str) -> Any:
        if column != "nom" or value != PAUSE:
            return None

        async def held() -> None:
            self.in_flight.set()
            await self.release.wait()

        return held()


def test_swap_under_concurrent_requests_fails_none_and_shows_new_rows(serving: Path) -> None:
    write_snapshot(serving, "s1", [PAUSE, "ancien"])
    pause = Pause()
    pm.register(pause, name="camp_test_pause")

    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        ds = Datasette([])
        await ds.invoke_startup()
        failures: list[str] = []
        stop = asyncio.Event()

        async def client() -> None:  # loops over JSON, HTML and counts until told to stop
            while not stop.is_set():
                for path in ("/camp/t.json?_shape=objects", "/camp/t?nom=ancien", "/camp.json"):
                    response = await ds.client.get(path)
                    if response.status_code != 200:
                        failures.append(f"{path}: {response.status_code}")
                await asyncio.sleep(0)  # let the test's own steps run between rounds

        # Every SQL thread opens its connection to s1 first.
        assert rows_of((await ds.client.get("/camp/t.json?_shape=objects")).json()) == [
            PAUSE,
            "ancien",
        ]
        held = asyncio.ensure_future(ds.client.get("/camp/t"))  # a page of s1, held mid-render
        await pause.in_flight.wait()
        clients = [asyncio.ensure_future(client()) for _ in range(8)]
        write_snapshot(serving, "s2", ["nouveau", "ancien", "encore"])
        new = (await ds.client.get("/camp/t.json?_shape=objects")).json()
        pause.release.set()
        old_page = await held
        stop.set()
        await asyncio.gather(*clients)
        served = [db.name for db in ds.databases.values() if db.route == "camp"]
        return failures, rows_of(new), [str(old_page.status_code), old_page.text], served

    failures, new_rows, (status, old_text), served = asyncio.run(scenario())
    assert failures == []
    assert new_rows == ["nouveau", "ancien", "encore"]
    # finished on the old snapshot's rows (metadata, read at render time, is already new)
    assert status == "200" and PAUSE in old_text and "nouveau" not in old_text
    assert served == ["camp-s2", "camp-s1"]  # the new one first: `/camp` resolves to it


def test_replaced_snapshot_is_removed_and_closed_after_its_grace(serving: Path) -> None:
    write_snapshot(serving, "s1", ["ancien"])

    async def scenario() -> tuple[Any, list[str], list[str]]:
        ds = Datasette([])
        await ds.invoke_startup()
        await ds.client.get("/camp/t.json")
        old = ds.databases["camp-s1"]
        write_snapshot(serving, "s2", ["nouveau"])
        await ds.client.get("/camp/t.json")
        plugin._retire(ds, "camp-s1")  # what the grace timer calls
        data = (await ds.client.get("/camp/t.json?_shape=objects")).json()
        return old, rows_of(data), list(ds.databases)

    old, rows, names = asyncio.run(scenario())
    assert rows == ["nouveau"]
    assert "camp-s1" not in names and "camp-s2" in names
    assert "camp-s1" not in plugin.STATE.served["databases"]
    with pytest.raises(sqlite3.ProgrammingError):  # its connections were closed
        old._all_file_connections[0].execute("select 1")


def test_third_snapshot_is_served_while_two_are_retiring(serving: Path) -> None:
    async def scenario() -> tuple[list[str], list[str]]:
        ds = Datasette([])
        for number in (1, 2, 3):  # published faster than the grace period
            write_snapshot(serving, f"s{number}", [f"version {number}"])
            data = (await ds.client.get("/camp/t.json?_shape=objects")).json()
        routed = [db.name for db in ds.databases.values() if db.route == "camp"]
        return rows_of(data), routed

    rows, routed = asyncio.run(scenario())
    assert rows == ["version 3"]
    assert routed[0] == "camp-s3" and sorted(routed[1:]) == ["camp-s1", "camp-s2"]


def test_whole_table_count_is_the_published_one_filtered_counts_run(serving: Path) -> None:
    # Published count deliberately not the table's: it shows the page never counted itself.
    write_snapshot(serving, "s1", ["a", "b", "b"], published_count=1234)

    async def scenario() -> tuple[int, int]:
        ds = Datasette([])
        await ds.invoke_startup()
        whole = (await ds.client.get("/camp/t.json")).json()
        filtered = (await ds.client.get("/camp/t.json?nom=b")).json()
        return whole["filtered_table_rows_count"], filtered["filtered_table_rows_count"]

    assert asyncio.run(scenario()) == (1234, 2)


def test_cells_are_french_through_render_cell_and_follow_the_swap(serving: Path) -> None:
    write_snapshot(serving, "s1", ["ancien"])

    async def scenario() -> str:
        ds = Datasette([])
        await ds.invoke_startup()
        return (await ds.client.get("/camp/t")).text

    page = asyncio.run(scenario())
    assert "61\u202f100,00\u00a0€" in page
    assert "2026-12-03 08:07:34 +01:00" in page


def test_query_urls_by_snapshot_name_lead_to_the_route(serving: Path) -> None:
    """datasette-dashboards' script fetches `/<database name>.json?sql=…`."""
    write_snapshot(serving, "s1", ["ancien"])

    async def scenario() -> tuple[int, str, list[str]]:
        ds = Datasette([])
        await ds.invoke_startup()
        moved = await ds.client.get("/camp-s1.json?sql=select+nom+from+t&_shape=objects")
        followed = await ds.client.get(moved.headers["location"])
        return moved.status_code, moved.headers["location"], rows_of(followed.json())

    status, location, rows = asyncio.run(scenario())
    assert status == 302 and location.startswith("/camp.json?sql=")
    assert rows == ["ancien"]


def test_dashboards_are_pointed_at_the_snapshot_served() -> None:
    metadata = {
        "databases": {"camp": {"tables": {"t": {}}}},
        "plugins": {"datasette-dashboards": {"d": {"charts": {"c": {"db": "camp", "q": "x"}}}}},
    }
    served = plugin.served_metadata(metadata, ["camp-s2", "camp-s1"])
    assert served["plugins"]["datasette-dashboards"]["d"]["charts"]["c"]["db"] == "camp-s2"
    assert set(served["databases"]) == {"camp", "camp-s2", "camp-s1"}
    assert metadata["plugins"]["datasette-dashboards"]["d"]["charts"]["c"]["db"] == "camp"
