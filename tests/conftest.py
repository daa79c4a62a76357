"""Shared fixtures: an isolated build folder per test, a local HTTP server, free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.http_server import LocalServer, Route, free_port, serving

__all__ = ["ROOT", "LocalServer", "Route", "free_port"]  # imported by the tests from here

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


@pytest.fixture
def http_server() -> Iterator[LocalServer]:
    """The local stand-in for the internet: see tests/http_server.py."""
    with serving() as server:
        yield server


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
