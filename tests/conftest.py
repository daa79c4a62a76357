"""Shared fixtures: an isolated build folder per test, a local HTTP server, free ports."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def camp_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the generated files (warehouse, snapshots, Dagster runs) into tmp_path."""
    build = tmp_path / "build"
    monkeypatch.setenv("CAMP_ROOT", str(ROOT))
    monkeypatch.setenv("CAMP_BUILD_DIR", str(build))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    monkeypatch.delenv("CAMP_ONLINE", raising=False)
    return build


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Route:
    """What the local server answers for one path; tests change it between requests."""

    def __init__(self, body: bytes = b"", status: int = 200, headers: dict | None = None):
        self.body, self.status, self.headers = body, status, dict(headers or {})
        self.fail_first = 0  # answer 503 this many times first
        self.requests: list[dict[str, str]] = []


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                route.requests.append(dict(self.headers))
                if route.fail_first > 0:
                    route.fail_first -= 1
                    self.send_error(503, "Service Unavailable")
                    return
                etag = route.headers.get("ETag")
                if etag and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    self.end_headers()
                    return
                self.send_response(route.status)
                for key, value in route.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def route(self, path: str, **kwargs: object) -> Route:
        self.routes[path] = Route(**kwargs)  # type: ignore[arg-type]
        return self.routes[path]


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory):
    """The main job's publication of the shipped samples, built once per test session."""
    from tests.answers import publish_samples

    return publish_samples(tmp_path_factory.mktemp("published-samples"))


@pytest.fixture(scope="session")
def published_server(published, tmp_path_factory: pytest.TempPathFactory):
    """The product's Datasette serving that publication on 127.0.0.1 (read-only, shared)."""
    from tests.fixtures.publish.server import running_datasette

    log = tmp_path_factory.mktemp("published-server") / "datasette.log"
    with running_datasette(published.publish_dir, log, workers=1) as url:
        yield url
