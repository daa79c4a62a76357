"""Online sources: an OpenAgenda-shaped API with a key from the environment, every page
combined, the key never recorded; and switched datasets read through ingest's one path."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from pipelines.catalog.load import load_dataset
from pipelines.read import read_resource
from pipelines.settings import get_settings
from pipelines.sources.fetch import fetch
from pipelines.sources.http import STATE_FILE, FetchError
from pipelines.sources.pagination import fetch_openagenda
from pipelines.sources.template import fill
from pipelines.steps.raw import ingest_raw
from tests.conftest import ROOT
from tests.http_server import LocalServer, Reply, Request, free_port

KEY = "s3cr3t-0a-key-5f1d"
TCHEQUE = load_dataset(ROOT / "catalog" / "agenda_centre_tcheque.yaml", root=ROOT)
EVENTS = json.loads(TCHEQUE.resource("evenements").sample_path.read_text(encoding="utf-8"))


class FakeOpenAgenda:
    """`/v2/agendas/1/events` on the shared local server: 3 segments of real events, cursor
    `after[]`, key required (header `key` or query `key`)."""

    PATH = "/v2/agendas/1/events"

    def __init__(self, server: LocalServer, events: list[dict], size: int) -> None:
        self.pages = [events[i : i + size] for i in range(0, len(events), size)]
        self.down_on_page: int | None = None  # answer 503 for that page
        self.route = server.route(self.PATH, respond=self.answer)
        self.url = f"{server.url}{self.PATH}"

    @property
    def requests(self) -> list[Request]:
        return self.route.requests

    def answer(self, request: Request) -> Reply:
        key = request.get("key") or (request.query.get("key") or [None])[0]
        if key != KEY:
            return self._json(403, {"error": "no"})
        page = int(request.query["after[]"][1]) if "after[]" in request.query else 0
        if page == self.down_on_page:
            return Reply(503, b"Service Unavailable")
        last = page == len(self.pages) - 1
        return self._json(
            200,
            {
                "success": True,
                "total": sum(len(p) for p in self.pages),
                "events": self.pages[page],
                "after": None if last else [0, page + 1],
                "sort": "timingsWithFeatured.asc",
            },
        )

    @staticmethod
    def _json(status: int, body: dict) -> Reply:
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def agenda_api(http_server: LocalServer) -> FakeOpenAgenda:
    return FakeOpenAgenda(http_server, EVENTS, size=15)  # 40 events: pages of 15, 15 and 10


HEADERS = {"key": "${OPENAGENDA_KEY}"}


def _recorded_text(dest: Path, result) -> str:
    """Everything a fetch leaves behind that a person or a log could read."""
    return (dest / STATE_FILE).read_text() + json.dumps(result.to_metadata())


def test_every_page_is_combined_into_one_envelope_the_reader_takes(
    agenda_api: FakeOpenAgenda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    result = fetch(agenda_api.url, tmp_path, headers=HEADERS, pagination="openagenda", backoff=0)
    assert result.pages == 3 and len(agenda_api.requests) == 3
    assert [r.get("key") for r in agenda_api.requests] == [KEY] * 3
    combined = json.loads(result.path.read_text(encoding="utf-8"))
    assert combined["total"] == len(combined["events"]) == 40 and combined["after"] is None
    assert [e["uid"] for e in combined["events"]] == [e["uid"] for e in EVENTS]
    options = {"format": "openagenda", **TCHEQUE.resource("evenements").read_options}
    assert read_resource(result.path, options).frame.height == 40

    again = fetch(agenda_api.url, tmp_path, headers=HEADERS, pagination="openagenda", backoff=0)
    assert again.status == "unchanged" and not again.changed and again.path == result.path


def test_the_key_is_never_recorded_nor_logged(
    agenda_api: FakeOpenAgenda,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even with the key in the query string (which OpenAgenda advises against)."""
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    template = f"{agenda_api.url}?key=${{OPENAGENDA_KEY}}&size=15"
    caplog.set_level(logging.DEBUG)
    result = fetch(template, tmp_path, pagination="openagenda", backoff=0)
    assert KEY in agenda_api.requests[0].path, "the request itself carries the key"
    assert result.source == template
    assert KEY not in _recorded_text(tmp_path, result)
    assert "key=***" in caplog.text and KEY not in caplog.text

    monkeypatch.setenv("OPENAGENDA_KEY", "wrong-key-123")
    with pytest.raises(FetchError, match=r"page 1\) answered HTTP 403: check the API key") as err:
        fetch(template, tmp_path, pagination="openagenda", backoff=0)
    assert "wrong-key-123" not in str(err.value) and "${OPENAGENDA_KEY}" in str(err.value)
    assert "wrong-key-123" not in caplog.text


def test_an_unreachable_server_error_masks_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests puts the whole URL in its connection errors; the key must not follow."""
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    template = f"http://127.0.0.1:{free_port()}/events.json?key=${{OPENAGENDA_KEY}}"
    with pytest.raises(FetchError, match="ConnectionError") as err:
        fetch(template, tmp_path, retries=0, backoff=0)
    assert KEY not in str(err.value) and err.value.__cause__ is None
    with pytest.raises(FetchError) as err:
        fetch(template, tmp_path, retries=0, backoff=0, pagination="openagenda")
    assert KEY not in str(err.value) and "***" in str(err.value)


def test_a_missing_variable_names_it_and_the_descriptor_and_sends_nothing(
    agenda_api: FakeOpenAgenda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAGENDA_KEY", raising=False)
    where = "catalog/agenda_centre_tcheque.yaml (resource `evenements`)"
    with pytest.raises(FetchError, match=r"agenda_centre_tcheque\.yaml.*OPENAGENDA_KEY.*not set"):
        fetch(
            agenda_api.url, tmp_path / "raw", headers=HEADERS, pagination="openagenda", where=where
        )
    assert agenda_api.requests == [] and not (tmp_path / "raw").exists()


def test_an_outage_on_page_2_keeps_the_previous_good_file(
    agenda_api: FakeOpenAgenda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    good = fetch(agenda_api.url, tmp_path, headers=HEADERS, pagination="openagenda", backoff=0)
    state = (tmp_path / STATE_FILE).read_text()
    files = sorted(tmp_path.iterdir())

    agenda_api.pages[0] = agenda_api.pages[0][1:]  # the source changed...
    agenda_api.down_on_page = 1  # ...but its second page is down
    agenda_api.requests.clear()
    with pytest.raises(FetchError, match=r"\(page 2\) answered HTTP 503.*previous good file"):
        fetch(
            agenda_api.url, tmp_path, headers=HEADERS, pagination="openagenda", retries=2, backoff=0
        )
    assert len(agenda_api.requests) == 1 + 3, "page 1 once, page 2 tried three times"
    assert (tmp_path / STATE_FILE).read_text() == state and sorted(tmp_path.iterdir()) == files
    assert good.path.is_file()


def test_too_many_pages_fail_clearly_instead_of_looping(
    agenda_api: FakeOpenAgenda, monkeypatch: pytest.MonkeyPatch
) -> None:
    import requests

    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    filled = fill(agenda_api.url, HEADERS, "test")
    with requests.Session() as session, pytest.raises(FetchError, match="after 2 pages"):
        fetch_openagenda(session, agenda_api.url, filled, timeout=5, max_pages=2)


def test_a_switched_agenda_goes_through_ingest_with_the_key_kept_out(
    camp_env: Path, agenda_api: FakeOpenAgenda, monkeypatch: pytest.MonkeyPatch
) -> None:
    resource = replace(TCHEQUE.resource("occurrences"), online_url=agenda_api.url)
    offline = ingest_raw(resource, get_settings())
    assert offline.fetch.pages is None and agenda_api.requests == []

    monkeypatch.setenv("CAMP_ONLINE", "agenda_centre_tcheque")
    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    online = ingest_raw(resource, get_settings())
    assert online.fetch.pages == 3 and online.rows == offline.rows
    assert KEY not in json.dumps(online.to_metadata(), default=str)

    monkeypatch.delenv("OPENAGENDA_KEY")
    with pytest.raises(FetchError, match=r"catalog/agenda_centre_tcheque\.yaml.*OPENAGENDA_KEY"):
        ingest_raw(resource, get_settings())


def test_a_switched_gtfs_feed_is_read_with_the_online_reader_options(
    camp_env: Path, http_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live STAR feed has no Keolis extension file: `online_read` drops the join."""
    star = load_dataset(ROOT / "catalog" / "gtfs_star.yaml", root=ROOT).resource("arrets")
    http_server.route("/gtfs.zip", body=star.sample_path.read_bytes())
    resource = replace(star, online_url=f"{http_server.url}/gtfs.zip")
    offline = ingest_raw(resource, get_settings())
    assert offline.detection["extension"]["file"] == "stops_extensions.txt"

    monkeypatch.setenv("CAMP_ONLINE", "gtfs_star")
    online = ingest_raw(resource, get_settings())
    assert "extension" not in online.detection and online.rows == offline.rows


def test_the_change_probe_pages_with_the_key_like_the_fetch(
    agenda_api: FakeOpenAgenda, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.sources.changes import probe

    monkeypatch.setenv("OPENAGENDA_KEY", KEY)
    fetched = fetch(agenda_api.url, tmp_path, headers=HEADERS, pagination="openagenda")
    previous = json.loads((tmp_path / STATE_FILE).read_text())

    same = probe(agenda_api.url, previous, headers=HEADERS, pagination="openagenda")
    assert (same.changed, same.fingerprint["sha256"]) == (False, fetched.sha256)
    assert all(request.get("key") == KEY for request in agenda_api.requests)

    agenda_api.pages[-1] = agenda_api.pages[-1][1:]  # one event gone from the last page
    moved = probe(agenda_api.url, previous, headers=HEADERS, pagination="openagenda")
    assert moved.changed is True and moved.error is None

    monkeypatch.setenv("OPENAGENDA_KEY", "wrong-key")
    refused = probe(agenda_api.url, previous, headers=HEADERS, pagination="openagenda")
    assert (refused.changed, refused.http_status) == (None, 403)
    assert "wrong-key" not in json.dumps(refused.to_dict())

    monkeypatch.delenv("OPENAGENDA_KEY")
    requests_before = len(agenda_api.requests)
    unset = probe(agenda_api.url, previous, headers=HEADERS, pagination="openagenda")
    assert unset.changed is None and "OPENAGENDA_KEY" in unset.error
    assert len(agenda_api.requests) == requests_before, "no request without the key"
