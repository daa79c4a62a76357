"""`python -m pipelines.serve.app PUBLISH_DIR [--workers N] [datasette serve options]`

Registers the swap plugin (no entry point or plugins folder needed) and runs Datasette with no
database argument: the plugin opens the current snapshot. With `--workers N` (N > 1), uvicorn
runs N processes on the same port, each a full Datasette over the same immutable snapshot:
rendering pages is Python work bound to one core per process.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ENV = "CAMP_DATASETTE_ARGV"  # hands the arguments to worker processes


def _register(publish_dir: str) -> None:
    from datasette.plugins import pm

    from . import api, pages, plugin, render

    plugin.PUBLISH_DIR = Path(publish_dir).resolve()
    if not pm.is_registered(plugin):
        pm.register(plugin, name="camp_publish")
    if not pm.is_registered(api):
        pm.register(api, name="camp_api")
    if not pm.is_registered(pages):
        pm.register(pages, name="camp_pages")
    if not pm.is_registered(render):
        pm.register(render, name="camp_cells")


def _split_workers(argv: list[str]) -> tuple[int, list[str]]:
    rest, workers = [], 1
    iterator = iter(argv)
    for arg in iterator:
        if arg == "--workers":
            workers = int(next(iterator))
        else:
            rest.append(arg)
    return workers, rest


def _serve_params(args: list[str]) -> dict[str, Any]:
    from datasette.cli import cli

    command = cli.commands["serve"]
    return dict(command.make_context("serve", list(args)).params)


def make_app() -> Any:
    """uvicorn factory for each worker process: the same Datasette `serve` would build."""
    from datasette.cli import cli

    publish_dir, *args = json.loads(os.environ[ENV])
    _register(publish_dir)
    params = _serve_params(args)
    ds = cli.commands["serve"].callback(**{**params, "return_instance": True})
    return ds.app()


def main(argv: list[str]) -> None:
    if not argv or argv[0].startswith("-"):
        raise SystemExit("usage: python -m pipelines.serve.app PUBLISH_DIR [options]")
    workers, rest = _split_workers(argv[1:])
    if workers <= 1:
        from datasette.cli import cli

        _register(argv[0])
        cli.main(["serve", *rest], prog_name="datasette")
        return
    import secrets

    import uvicorn

    # One signing secret for all workers, or a CSRF token from one fails on another.
    os.environ.setdefault("DATASETTE_SECRET", secrets.token_hex(32))
    os.environ[ENV] = json.dumps([str(Path(argv[0]).resolve()), *rest])
    params = _serve_params(rest)
    uvicorn.run(
        f"{__name__}:make_app" if __name__ != "__main__" else "pipelines.serve.app:make_app",
        factory=True,
        host=params["host"],
        port=params["port"],
        workers=workers,
        lifespan="on",
        log_level="info",
    )


if __name__ == "__main__":
    main(sys.argv[1:])
