"""The local HTTP server the fetch tests stand on answers as declared and logs what it got."""

from __future__ import annotations

import threading

import requests

from tests.http_server import LocalServer, Reply, Request


def test_failures_then_success_and_every_request_logged(http_server: LocalServer) -> None:
    route = http_server.route("/a.csv", body=b"x", fail_first=2, fail_status=502)
    statuses = [requests.get(f"{http_server.url}/a.csv", timeout=5).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert len(route.requests) == 3 and [r.path for r in http_server.log] == ["/a.csv"] * 3
    assert requests.get(f"{http_server.url}/nothing", timeout=5).status_code == 404
    assert http_server.log[-1].path == "/nothing", "unrouted requests are logged too"


def test_etag_then_last_modified_answer_304(http_server: LocalServer) -> None:
    url = f"{http_server.url}/e.csv"
    route = http_server.route("/e.csv", body=b"x", headers={"ETag": '"1"'})
    assert requests.get(url, headers={"If-None-Match": '"1"'}, timeout=5).status_code == 304
    assert requests.get(url, headers={"If-None-Match": '"0"'}, timeout=5).content == b"x"
    route.headers = {"Last-Modified": "Wed, 21 Oct 2026 07:28:00 GMT"}
    since = {"If-Modified-Since": "Wed, 21 Oct 2026 07:28:00 GMT"}
    assert requests.get(url, headers=since, timeout=5).status_code == 304


def test_head_only_where_declared(http_server: LocalServer) -> None:
    http_server.route("/plain", body=b"abc")
    http_server.route("/head", body=b"abc", headers={"ETag": '"h"'}, head=True)
    assert requests.head(f"{http_server.url}/plain", timeout=5).status_code == 501
    answer = requests.head(f"{http_server.url}/head", timeout=5)
    assert answer.status_code == 200 and answer.headers["ETag"] == '"h"' and answer.content == b""


def test_post_bodies_and_computed_answers(http_server: LocalServer) -> None:
    def echo(request: Request) -> Reply:
        return Reply(201, request.body.upper(), {"X-Method": request.method})

    route = http_server.route("/hook", respond=echo)
    answer = requests.post(f"{http_server.url}/hook?q=1", data=b"ping", timeout=5)
    assert (answer.status_code, answer.content) == (201, b"PING")
    assert answer.headers["X-Method"] == "POST"
    assert route.requests[0].body == b"ping" and route.requests[0].query == {"q": ["1"]}


def test_a_held_answer_waits_for_the_test(http_server: LocalServer) -> None:
    release = threading.Event()
    http_server.route("/held", body=b"late", hold=release)
    got: list[bytes] = []
    client = threading.Thread(
        target=lambda: got.append(requests.get(f"{http_server.url}/held", timeout=30).content)
    )
    client.start()
    assert http_server.wait_for_requests(1), "the request never arrived"
    assert got == [], "answered before the test released it"
    release.set()
    client.join(30)
    assert got == [b"late"]
