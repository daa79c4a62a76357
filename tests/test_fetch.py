"""Fetching against a local HTTP server: conditional GET, retries, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.sources.fetch import fetch
from pipelines.sources.http import FetchError
from tests.conftest import free_port

BODY = b"uid,montant\n1,10\n"


def test_200_then_304_on_matching_etag_does_not_download_again(http_server, tmp_path: Path):
    route = http_server.route("/decp.csv", body=BODY, headers={"ETag": '"v1"'})
    first = fetch(f"{http_server.url}/decp.csv", tmp_path)
    assert first.changed and first.status == "downloaded"
    assert first.path.read_bytes() == BODY and first.bytes == len(BODY)
    assert first.etag == '"v1"'

    second = fetch(f"{http_server.url}/decp.csv", tmp_path)
    assert route.requests[-1].get("If-None-Match") == '"v1"'
    assert second.status == "not-modified" and not second.changed
    assert second.path == first.path and second.sha256 == first.sha256

    route.body, route.headers = BODY + b"2,20\n", {"ETag": '"v2"'}
    third = fetch(f"{http_server.url}/decp.csv", tmp_path)
    assert third.changed and third.path != first.path
    assert first.path.is_file(), "previous raw snapshots are kept"


def test_last_modified_alone_makes_the_next_get_conditional(http_server, tmp_path: Path):
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"
    route = http_server.route("/lm.csv", body=BODY, headers={"Last-Modified": stamp})
    first = fetch(f"{http_server.url}/lm.csv", tmp_path)
    assert first.status == "downloaded" and first.last_modified == stamp
    second = fetch(f"{http_server.url}/lm.csv", tmp_path)
    assert route.requests[-1].get("If-Modified-Since") == stamp
    assert route.requests[-1].get("If-None-Match") is None, "no ETag was ever given"
    assert second.status == "not-modified" and second.path == first.path


def test_a_read_timeout_is_retried_then_named(http_server, tmp_path: Path):
    route = http_server.route("/slow.csv", body=BODY, delay_s=2.0)
    with pytest.raises(FetchError, match=r"GET .*/slow.csv failed after 1 retries.*(?i:timeout)"):
        fetch(f"{http_server.url}/slow.csv", tmp_path, timeout=0.2, retries=1, backoff=0)
    assert len(route.requests) == 2, "the first attempt and one retry"
    assert not list(tmp_path.glob("*.csv")), "nothing kept from a failed download"


def test_without_validators_the_sha256_decides(http_server, tmp_path: Path):
    http_server.route("/plain.csv", body=BODY)
    first = fetch(f"{http_server.url}/plain.csv", tmp_path)
    second = fetch(f"{http_server.url}/plain.csv", tmp_path)
    assert second.status == "unchanged" and not second.changed and second.path == first.path


def test_404_names_the_url_and_is_not_retried(http_server, tmp_path: Path):
    url = f"{http_server.url}/missing.csv"
    with pytest.raises(FetchError, match=r"GET .*/missing.csv answered HTTP 404") as error:
        fetch(url, tmp_path, backoff=0)
    assert error.value.status == 404


def test_503_twice_then_200_is_retried_and_succeeds(http_server, tmp_path: Path):
    route = http_server.route("/flaky.csv", body=BODY)
    route.fail_first = 2
    result = fetch(f"{http_server.url}/flaky.csv", tmp_path, retries=3, backoff=0)
    assert result.path.read_bytes() == BODY
    assert len(route.requests) == 3
    assert [r.method for r in http_server.log] == ["GET"] * 3


def test_persistent_503_gives_up_with_a_clear_error(http_server, tmp_path: Path):
    route = http_server.route("/down.csv", body=BODY)
    route.fail_first = 10
    with pytest.raises(FetchError, match=r"answered HTTP 503.*retried") as error:
        fetch(f"{http_server.url}/down.csv", tmp_path, retries=2, backoff=0)
    assert error.value.status == 503 and len(route.requests) == 3


def test_connection_refused_names_the_url(tmp_path: Path):
    url = f"http://127.0.0.1:{free_port()}/decp.csv"
    with pytest.raises(FetchError, match=rf"GET {url} failed after 1 retries.*ConnectionError"):
        fetch(url, tmp_path, retries=1, backoff=0)


def test_local_file_is_copied_once(tmp_path: Path):
    source = tmp_path / "sample.csv"
    source.write_bytes(BODY)
    first = fetch(source, tmp_path / "raw")
    second = fetch(source, tmp_path / "raw")
    assert first.status == "copied" and second.status == "unchanged"
    assert len(list((tmp_path / "raw").glob("*.csv"))) == 1


def test_missing_local_file_is_explained(tmp_path: Path):
    with pytest.raises(FetchError, match="no such file; check the resource `path`"):
        fetch(tmp_path / "nope.csv", tmp_path / "raw")
