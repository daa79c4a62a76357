"""The command serving the current publication: Datasette with the project's settings and
plugins, one process per core."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Datasette settings, chosen for large tables on a small machine (see README.md, "Limits").
SETTINGS: dict[str, str] = {
    "sql_time_limit_ms": "3000",  # grouped aggregates over 1M rows need ~1 s; 3 s bounds abuse
    "facet_time_limit_ms": "1000",  # indexed facets over 1M rows take 0.1-0.5 s
    "facet_suggest_time_limit_ms": "50",
    "suggest_facets": "off",  # suggestions scan every column on every table page
    "max_returned_rows": "1000",  # per JSON/HTML page; paginate with _next
    "default_page_size": "100",
    "num_sql_threads": "4",
    "allow_csv_stream": "on",  # `.csv?_stream=1`: whole table as CSV
    "max_csv_mb": "200",
    "default_cache_ttl": "60",
    "truncate_cells_html": "300",
}


def default_workers() -> int:
    """One Datasette process per core (at most 4): page rendering is Python, one core each."""
    return max(1, min(4, os.cpu_count() or 1))


def datasette_command(
    publish_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8001,
    *,
    workers: int | None = None,
) -> list[str]:
    """argv serving the current publication with the project's settings and plugin.

    It runs `python -m pipelines.serve.app`, which registers the swap plugin and starts
    Datasette (`workers` processes on the same port); no entry point or plugins folder needed.
    """
    argv = [sys.executable, "-m", "pipelines.serve.app", str(Path(publish_dir).resolve())]
    argv += ["--workers", str(workers or default_workers())]
    argv += ["--host", host, "--port", str(port), "--cors"]
    for name, value in SETTINGS.items():
        argv += ["--setting", name, value]
    return argv
