"""Run part of a table's copy in a helper process: its rows go into a side SQLite file.

`sqlite_copy.copy_table` starts `python -m pipelines.publish.sqlite_copy` for the upper part of a
large table while it copies the lower part itself, then appends the side file's rows. A plain
subprocess, not `multiprocessing`: spawning re-runs the caller's main script (Dagster, pytest,
a benchmark), and forking a process that holds DuckDB's threads is unsafe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class SideCopy:
    """Rows of `SELECT {select} FROM table WHERE {where}` in a new SQLite file `side`, whose
    table is made by `create`.
    """

    warehouse: str  # DuckDB file, opened read-only
    table: str
    select: str
    where: str
    create: str
    side: str


def start(job: SideCopy) -> subprocess.Popen[bytes]:
    """Start the helper process on `job`; `finish` collects it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PACKAGE_ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.publish.sqlite_copy", json.dumps(asdict(job))],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )


def finish(process: subprocess.Popen[bytes]) -> int:
    """Wait for the helper; its row count, or RuntimeError with what it printed on failure."""
    out, err = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(
            f"the helper process copying part of a table failed (exit {process.returncode}):\n"
            + err.decode("utf-8", "replace")[-4000:]
        )
    return int(out)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End the helper early (the caller failed): nothing it writes will be used."""
    if process.poll() is None:
        process.kill()
    process.communicate()
