"""Two runs launched together never fail on DuckDB's lock: the pool in dagster.yaml serialises
the steps that write the warehouse across processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.assets import claim_warehouse_pool
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
WRITER = Path(__file__).parent / "fixtures" / "officer" / "warehouse_writer.py"


def launch_two(
    home: Path, warehouse: Path, prepare: bool = True
) -> list[subprocess.CompletedProcess]:
    """Create the instance's storage first and, as `camp` does before any run, its
    warehouse pool; then start both runs at once."""
    with DagsterInstance.from_config(str(home)) as instance:
        if prepare:
            claim_warehouse_pool(instance)
    env = {"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(warehouse), label],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for label in ("a", "b")
    ]
    return [
        subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.stdout.read()) for p in procs
    ]


def test_the_committed_instance_serialises_warehouse_writers(tmp_path: Path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    warehouse = tmp_path / "warehouse.duckdb"
    runs = launch_two(home, warehouse)
    assert [r.returncode for r in runs] == [0, 0], "\n".join(r.stdout[-2000:] for r in runs)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        held = con.execute("SELECT label, start, stop FROM held ORDER BY start").fetchall()
    assert [h[0] for h in held] != [] and len(held) == 2
    assert held[0][2] <= held[1][1], f"the two writers overlapped: {held}"


def test_without_the_pool_the_second_writer_hits_the_lock(tmp_path: Path):
    """The control: same runs, an instance with no pool limit; DuckDB refuses a writer."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # storage: default
    runs = launch_two(home, tmp_path / "warehouse.duckdb", prepare=False)
    failed = [r for r in runs if r.returncode != 0]
    assert failed, "without the pool both writers ran at once and DuckDB let them?"
    assert any("could not set lock" in r.stdout.lower() for r in failed), "\n".join(
        r.stdout[-3000:] for r in failed
    )
