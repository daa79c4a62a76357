"""The copy benchmark runs as its one command at a tiny size and checks what it measures:
every method copies every row with the same values and storage classes. Never its timings.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARK = Path(__file__).resolve().parent.parent / "benchmarks" / "sqlite_copy.py"


def test_the_copy_benchmark_compares_copies_that_hold_the_same_rows(tmp_path: Path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            str(BENCHMARK),
            "--rows",
            "2500",
            "--repeat",
            "1",
            "--keep",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(run.stdout.strip().splitlines()[-1])
    methods = {"adbc", "executemany", "executemany_two_processes"}
    assert result["rows"] == 2500
    assert set(result["seconds"]) == methods
    assert result["same_rows"] == dict.fromkeys(methods, True)
    assert set(result["ratio_to_adbc"]) == methods - {"adbc"}
    assert result["kinds"] == {
        "_row": ["integer"],
        "montant": ["null", "real"],
        "nom": ["text"],
        "jour": ["text"],
        "actif": ["integer", "null"],
        "offres": ["integer", "null"],
    }
    assert "executemany_two_processes / adbc:" in run.stdout
    # Only the warehouse and the finished copies remain: the helper's side file is gone.
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "adbc.db",
        "executemany.db",
        "executemany_two_processes.db",
        "warehouse.duckdb",
    ]
