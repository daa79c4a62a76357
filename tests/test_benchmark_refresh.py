"""The refresh benchmark, run small as a user runs it, so it can never silently break again.

Timings are not checked (speed is the benchmark's business); what is checked is what makes
its ratio mean something: the cold refresh went through the online code path and
succeeded, and the unchanged refresh asked every source and launched no run.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow


def test_small_run_refreshes_then_finds_nothing_changed() -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/refresh.py", "--datasets", "decp,agenda_relais"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["benchmark"] == "refresh"
    # agenda_relais has offline-only resources: the benchmark serves them too
    assert figures["resources"] >= 2
    assert figures["cold_success"] is True
    assert figures["cold_seconds"] > 0 and figures["unchanged_seconds"] > 0
    assert figures["unchanged_requests"] >= figures["resources"], "every source was asked"
    assert figures["unchanged_runs_launched"] == 0
    assert figures["ratio"] == pytest.approx(
        figures["unchanged_seconds"] / figures["cold_seconds"], rel=0.05, abs=1e-4
    )
