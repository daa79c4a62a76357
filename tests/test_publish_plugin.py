"""Small rules of the Datasette plugin and the serve command, without a server."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.serve.app import _serve_params, _split_workers
from pipelines.serve.command import SETTINGS, datasette_command
from pipelines.serve.plugin import _without_cursor_facets


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
