"""`python -m pipelines.publish.serve PUBLISH_DIR [datasette serve options]`

Registers the swap plugin (no entry point or plugins folder needed) and runs
`datasette serve` with no database argument: the plugin opens the current snapshot.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    if not argv or argv[0].startswith("-"):
        raise SystemExit("usage: python -m pipelines.publish.serve PUBLISH_DIR [options]")
    from datasette.cli import cli
    from datasette.plugins import pm

    from . import plugin

    plugin.PUBLISH_DIR = Path(argv[0]).resolve()
    pm.register(plugin, name="camp_publish")
    cli.main(["serve", *argv[1:]], prog_name="datasette")


if __name__ == "__main__":
    main(sys.argv[1:])
