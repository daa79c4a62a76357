"""One local HTTP server for every test that fetches: real HTTP on 127.0.0.1.

A test declares routes (status, headers, body, or a function of the request), may make a
route fail a few times before it answers, hold an answer until the test releases it, or
answer late; every request received is logged, on its route and on the server. ETag and
Last-Modified are honoured as a real origin would: a matching conditional request gets 304.

HEAD is refused (501, like `http.server`'s default) unless the route sets `head=True`: tests
of the change probe rely on a plain server that only answers GET.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def free_port() -> int:
    """A port nothing listens on (for "connection refused" tests and servers we start)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Request:
    """One request as the server received it."""

    method: str
    path: str  # with its query string, as sent
    headers: dict[str, str]
    body: bytes = b""

    @property
    def route_path(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.path).query)

    def get(self, name: str, default: str | None = None) -> str | None:
        """A header, case-insensitively (`request.get("If-None-Match")`)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default


@dataclass
class Reply:
    """What a route's `respond` function answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    """What the server answers for one path; tests change it between requests."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    respond: Callable[[Request], Reply] | None = None  # computes the answer instead
    head: bool = False  # answer HEAD like GET without a body
    fail_first: int = 0  # answer `fail_status` this many times first
    fail_status: int = 503
    delay_s: float = 0.0  # answer this late (timeout tests)
    hold: threading.Event | None = None  # answer only once the test sets it
    requests: list[Request] = field(default_factory=list)

    def answer(self, request: Request) -> Reply:
        if self.respond is not None:
            return self.respond(request)
        etag = self.headers.get("ETag")
        if etag and request.get("If-None-Match") == etag:
            return Reply(304)
        modified = self.headers.get("Last-Modified")
        if modified and not etag and request.get("If-Modified-Since") == modified:
            return Reply(304)
        return Reply(self.status, self.body, dict(self.headers))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        # a client that gave up (timeout tests) is expected; anything else is printed
        if not isinstance(sys.exc_info()[1], BrokenPipeError | ConnectionResetError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class LocalServer:
    """A threading HTTP server on 127.0.0.1:<free port>, with routes and a request log."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._lock = threading.Condition()  # notified on every request received
        self.httpd = _Server(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # polled often so that shutdown (hence each test's teardown) is quick
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def route(self, path: str, **kwargs: object) -> Route:
        """Declare (or replace) what `path` answers; returns the route to change later."""
        self.routes[path] = Route(**kwargs)  # type: ignore[arg-type]
        return self.routes[path]

    def find(self, path: str) -> Route | None:
        """The route for a request path: exact (query included) first, then without query."""
        return self.routes.get(path) or self.routes.get(urlsplit(path).path)

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> bool:
        """Block until `count` requests have arrived (a barrier for held or slow answers)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self.log) >= count, timeout)

    def _record(self, route: Route | None, request: Request) -> bool:
        """Log the request; True when the route must fail this time."""
        with self._lock:
            self.log.append(request)
            self._lock.notify_all()
            if route is None:
                return False
            route.requests.append(request)
            if route.fail_first > 0:
                route.fail_first -= 1
                return True
            return False

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, with_body: bool = True) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    self.command, self.path, dict(self.headers), self.rfile.read(length)
                )
                route = server.find(self.path)
                if route is not None and self.command == "HEAD" and not route.head:
                    server._record(None, request)
                    self.send_error(501, "Unsupported method ('HEAD')")
                    return
                failing = server._record(route, request)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.hold is not None and not route.hold.wait(timeout=30):
                    self.send_error(500, "the test never released this answer")
                    return
                if route.delay_s:
                    time.sleep(route.delay_s)  # a slow origin, not an ordering device
                if failing:
                    self.send_error(route.fail_status)
                    return
                reply = route.answer(request)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if reply.status != 304:
                    self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if with_body and reply.status != 304:
                    self.wfile.write(reply.body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's names)
                self._serve()

            def do_POST(self) -> None:  # noqa: N802
                self._serve()

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(with_body=False)

            def log_message(self, *args: object) -> None:
                pass  # the request log replaces stderr noise

        return Handler


@contextmanager
def serving() -> Iterator[LocalServer]:
    """A started server, shut down (and its port closed) on exit."""
    server = LocalServer()
    server.thread.start()
    try:
        yield server
    finally:
        for route in server.routes.values():
            if route.hold is not None:
                route.hold.set()  # release handlers still waiting, so shutdown returns
        server.httpd.shutdown()
        server.httpd.server_close()
