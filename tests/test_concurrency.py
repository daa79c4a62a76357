"""Two runs launched together never fail on DuckDB's lock: the pool in dagster.yaml serialises
the steps that write the warehouse across processes.

No test orders events by sleeping: a writer holding the lock waits for a sign that the other
met it (a step queued on the pool, a file, a log record), then lets go."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance

from pipelines.defs.assets import claim_warehouse_pool
from tests.conftest import ROOT

pytestmark = pytest.mark.slow
WRITER = Path(__file__).parent / "fixtures" / "concurrency" / "warehouse_writer.py"


def launch_two(
    home: Path, warehouse: Path, prepare: bool = True, opening: str = "camp"
) -> list[subprocess.CompletedProcess]:
    """Create the instance's storage first and, as `camp` does before any run, its
    warehouse pool; then start both runs at once."""
    with DagsterInstance.from_config(str(home)) as instance:
        if prepare:
            claim_warehouse_pool(instance)
    env = {"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    signals = warehouse.parent / "signals"
    signals.mkdir()
    procs = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(warehouse), label, other, str(signals), opening],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for label, other in (("a", "b"), ("b", "a"))
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
    """The control: same runs, an instance with no pool limit, the warehouse opened with
    plain `duckdb.connect`; DuckDB refuses a writer."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # storage: default
    runs = launch_two(home, tmp_path / "warehouse.duckdb", prepare=False, opening="raw")
    failed = [r for r in runs if r.returncode != 0]
    assert failed, "without the pool both writers ran at once and DuckDB let them?"
    assert any("could not set lock" in r.stdout.lower() for r in failed), "\n".join(
        r.stdout[-3000:] for r in failed
    )


HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
print("held", flush=True)
sys.stdin.readline()  # held until the test says so
con.close()
"""


class Seen(logging.Handler):
    """Sets `event` when a log record contains `text`."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text, self.event = text, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.text in record.getMessage():
            self.event.set()


def test_the_pipeline_waits_for_a_warehouse_another_process_holds(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """Dagster's pool claim is not atomic on SQLite storage: the warehouse's own lock is
    waited for, and only past the wait does the step fail, with DuckDB's message."""
    from pipelines.warehouse.database import connect, open_warehouse

    warehouse = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(warehouse)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    logger = "pipelines.warehouse.database"
    seen = Seen("is held by another process; waiting for it")
    outcome: dict[str, object] = {}

    def write() -> None:
        try:
            with connect(warehouse) as con:
                con.execute("INSERT INTO t VALUES (1)")
            outcome["inserted"] = True
        except Exception as error:  # reported by the assertion below
            outcome["error"] = error

    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(duckdb.IOException, match="(?i)could not set lock"):
            open_warehouse(warehouse, wait_s=0.3)
        caplog.set_level(logging.INFO, logger=logger)
        logging.getLogger(logger).addHandler(seen)
        writer = threading.Thread(target=write)
        writer.start()
        assert seen.event.wait(60), "connect never said it was waiting for the held lock"
        assert outcome == {}, f"written while another process held the lock? {outcome}"
        holder.stdin.write("\n")  # let go
        holder.stdin.flush()
        writer.join(60)
        assert outcome == {"inserted": True}, outcome
    finally:
        logging.getLogger(logger).removeHandler(seen)
        holder.kill()
        holder.wait()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 1
