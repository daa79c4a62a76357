"""Change probes against a local server whose headers and body change between ticks."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pipelines.sources.changes import (
    LADDER_HOURS,
    SourceWatch,
    differs,
    dump_watches,
    load_watches,
    next_interval,
    probe,
)

BODY = b"uid,montant\n1,10\n"


def test_head_with_etag_unchanged_then_changed(http_server):
    route = http_server.route("/a.csv", body=BODY, headers={"ETag": '"v1"'}, head=True)
    url = f"{http_server.url}/a.csv"
    first = probe(url, {"etag": '"v1"'})
    assert first.changed is False and first.method == "head"
    assert [r.method for r in route.requests] == ["HEAD"], "no body downloaded"
    route.headers = {"ETag": '"v2"'}
    second = probe(url, {"etag": '"v1"'})
    assert second.changed is True and second.fingerprint["etag"] == '"v2"'


def test_without_head_or_validators_the_sha256_decides(http_server):
    """The plain server refuses HEAD (501): a GET and the body's sha256 decide."""
    route = http_server.route("/b.csv", body=BODY)
    url = f"{http_server.url}/b.csv"
    sha = hashlib.sha256(BODY).hexdigest()
    same = probe(url, {"sha256": sha}, backoff=0)
    assert same.changed is False and same.method == "get"
    assert [r.method for r in http_server.log] == ["HEAD", "GET"], "HEAD asked first, refused"
    route.body = BODY + b"2,20\n"
    other = probe(url, {"sha256": sha}, backoff=0)
    assert other.changed is True and other.fingerprint["sha256"] != sha


def test_conditional_get_304_means_unchanged(http_server):
    http_server.route("/c.csv", body=BODY, headers={"ETag": '"e1"'})
    result = probe(f"{http_server.url}/c.csv", {"etag": '"e1"'}, backoff=0)
    assert result.changed is False and result.http_status == 304


def test_last_modified_alone_is_asked_with_if_modified_since(http_server):
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"
    route = http_server.route("/d.csv", body=BODY, headers={"Last-Modified": stamp})
    same = probe(f"{http_server.url}/d.csv", {"last_modified": stamp}, backoff=0)
    assert same.changed is False and same.http_status == 304
    assert route.requests[-1].get("If-Modified-Since") == stamp
    route.headers = {"Last-Modified": "Thu, 22 Oct 2026 07:28:00 GMT"}
    moved = probe(f"{http_server.url}/d.csv", {"last_modified": stamp}, backoff=0)
    assert moved.changed is True and moved.http_status == 200


def test_503_twice_then_200_is_retried(http_server):
    route = http_server.route("/flaky.csv", body=BODY, headers={"ETag": '"v1"'})
    route.fail_first = 2
    result = probe(f"{http_server.url}/flaky.csv", {"etag": '"v0"'}, retries=3, backoff=0)
    assert result.changed is True and result.error is None
    assert len(route.requests) == 3, "two 503 then the 200"


def test_404_is_an_error_not_a_change(http_server):
    result = probe(f"{http_server.url}/missing.csv", {"etag": "x"}, backoff=0)
    assert result.changed is None and result.http_status == 404 and "404" in result.error


def test_local_file_compares_size_then_sha256(tmp_path: Path):
    path = tmp_path / "s.csv"
    path.write_bytes(BODY)
    sha = hashlib.sha256(BODY).hexdigest()
    assert probe(str(path), {"bytes": len(BODY), "sha256": sha}).changed is False
    assert probe(str(path), {}).changed is True, "never seen: changed"
    path.write_bytes(BODY.replace(b"10", b"11"))  # same size, other content
    assert probe(str(path), {"bytes": len(BODY), "sha256": sha}).changed is True
    assert probe(str(tmp_path / "gone.csv"), {}).changed is None


def test_strongest_shared_validator_wins():
    assert differs({"etag": "a", "sha256": "x"}, {"etag": "a", "sha256": "y"}) is False
    assert differs({"last_modified": "d1"}, {"last_modified": "d2"}) is True
    assert differs({"bytes": 3}, {"etag": "a"}) is None


def test_interval_climbs_the_ladder_and_a_change_resets_it():
    hours = None
    seen = []
    for _ in range(6):
        hours = next_interval(hours, changed=False)
        seen.append(hours)
    assert seen[:4] == [12.0, 24.0, 168.0, 720.0] and seen[-1] == LADDER_HOURS[-1]
    assert next_interval(720.0, changed=True) == 12.0


def test_watch_is_due_after_its_interval_and_survives_the_cursor():
    now = datetime(2026, 3, 1, tzinfo=UTC)
    watch = SourceWatch().after(probe_result(False), now)
    assert watch.interval_hours == 12.0 and not watch.is_due(now + timedelta(hours=11))
    later = watch.after(probe_result(False), now + timedelta(hours=12))
    assert later.interval_hours == 24.0 and later.is_due(now + timedelta(hours=36))
    failed = later.after(probe_result(None), now + timedelta(hours=36))
    assert failed.interval_hours == 12.0 and failed.last_error == "boom"
    assert load_watches(dump_watches({"d/r": failed})) == {"d/r": failed}
    assert load_watches("not json") == {}


def probe_result(changed: bool | None):
    from pipelines.sources.changes import Probe

    return Probe("s", changed, {"etag": "x"}, error="boom" if changed is None else None)
