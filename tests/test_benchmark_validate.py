"""The validation benchmark, run small as a user runs it: its figures must stay honest.

Timings are not checked (speed is the benchmark's business); what is checked is what
makes its ratios mean something: both engines found exactly the injected errors on the
same file, and every measure was taken.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # runs frictionless-py too
def test_small_run_counts_every_injected_error_in_both_engines(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "benchmarks/validate.py", "--rows", "3000", "--repeat", "2",
         "--keep", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["rows"] == 3000
    assert figures["frictionless_rows"] == 3000  # the same file, not a slice
    assert figures["injected_errors"] > 0
    assert figures["ours_errors"] == figures["injected_errors"]
    assert figures["frictionless_errors"] == figures["injected_errors"]
    assert figures["ours_counts_exact"] and figures["frictionless_counts_exact"]
    assert len(figures["ours_all_seconds"]) == 2
    assert figures["ours_seconds"] in figures["ours_all_seconds"]
    # the flag-only scan finds the rows the engine quarantines
    assert figures["checks_only_failing_rows"] == figures["ours_rows_quarantined"] > 0
    for key in ("ours_rows_per_s", "frictionless_rows_per_s", "raw_read_rows_per_s",
                "floor_rows_per_s", "checks_only_rows_per_s"):
        assert figures[key] > 0, key
    assert (tmp_path / "decp-bench.csv").exists()
