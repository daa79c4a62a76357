"""Benchmark the DuckDB -> SQLite copy: ADBC (`adbc_ingest` of Arrow batches, as shipped)
against `executemany` in one process and split over two processes (the copy it replaced).

    python benchmarks/sqlite_copy.py [--rows N] [--repeat N] [--keep DIR]

Generates a seeded warehouse of N rows (default 1,000,000) x 6 columns of every kind the
publication copies (integer key, nullable double, accented text, date, nullable boolean,
nullable integer), then copies table `t` into a fresh SQLite file with the publication's
pragmas, `--repeat` times per method (default 3), methods interleaved, each quoted by its
median run with the spread. Each copy is end to end: CREATE TABLE, rows, COMMIT. Checks
that every method wrote the same rows with the same storage classes (`typeof`), prints the
ratios of the `executemany` copies' medians to ADBC's, and ends with one JSON line of all
figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite3  # noqa: E402

from pipelines.publish.sqlite_copy import (  # noqa: E402
    UNJOURNALED,
    _prefetched,
    _select_expression,
    attached,
    copy_table,
    duckdb_columns,
    set_pragmas,
    transaction,
)
from pipelines.warehouse.database import quote  # noqa: E402

TABLE = "t"
HELPER_SHARE = 0.45  # of the rows, as the two-process copy had it (the helper starts later)


def generate(path: Path, rows: int) -> None:
    con = duckdb.connect(str(path))
    con.execute("SELECT setseed(0.18)")
    con.execute(
        f"""CREATE TABLE {TABLE} AS SELECT
              range + 1 AS _row,
              CASE WHEN random() < 0.1 THEN NULL ELSE round(random() * 1e6, 2) END AS montant,
              'Société d''aménagement n°' || (range % 9973) || ' de Saint-Étienne' AS nom,
              DATE '2015-01-01' + (range % 4000)::INTEGER AS jour,
              CASE WHEN random() < 0.05 THEN NULL ELSE random() < 0.5 END AS actif,
              CASE WHEN random() < 0.2 THEN NULL ELSE (random() * 40)::BIGINT END AS offres
            FROM range({rows})"""
    )
    con.close()


def new_target(folder: Path, name: str) -> sqlite3.Connection:
    path = folder / f"{name}.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    set_pragmas(db, ("page_size = 16384", *UNJOURNALED))  # as `snapshot.write_sqlite`
    return db


def copy_adbc(con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, warehouse: Path) -> int:
    return copy_table(con, db, TABLE, row_key=True)  # a file, outside a transaction: ADBC


def copy_executemany(
    con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, warehouse: Path
) -> int:
    with transaction(db):  # inside a transaction, the shipped copy binds through `db`
        return copy_table(con, db, TABLE, row_key=True)


def _select(con: duckdb.DuckDBPyConnection) -> str:
    return ", ".join(
        f"{_select_expression(n, t)} AS {quote(n)}" for n, t in duckdb_columns(con, TABLE)
    )


def _insert_where(
    con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, select: str, where: str
) -> int:
    cursor = con.cursor()
    cursor.execute(f"SELECT {select} FROM {quote(TABLE)} WHERE {where}")
    insert = f"INSERT INTO {quote(TABLE)} VALUES ({', '.join('?' * 6)})"
    rows = 0
    for batch in _prefetched(cursor):
        db.executemany(insert, batch)
        rows += len(batch)
    return rows


def copy_two_processes(
    con: duckdb.DuckDBPyConnection, db: sqlite3.Connection, warehouse: Path
) -> int:
    """The replaced copy: a helper process (this script, `--side`) copies the upper rows into a
    side file while this one copies the lower rows; the side rows are then appended by
    SQLite's transfer optimisation.
    """
    with transaction(db):
        db.execute(
            f"CREATE TABLE {TABLE} (_row INTEGER PRIMARY KEY, montant REAL, nom TEXT, "
            "jour TEXT, actif INTEGER, offres INTEGER)"
        )
    create = db.execute("SELECT sql FROM sqlite_master WHERE name = ?", [TABLE]).fetchone()[0]
    select = _select(con)
    low, high = con.execute(f"SELECT min(rowid), max(rowid) FROM {TABLE}").fetchone()
    split = low + round((high - low) * (1 - HELPER_SHARE))
    side = Path(db.execute("PRAGMA database_list").fetchone()[2]).with_name("side.db")
    side.unlink(missing_ok=True)
    job = json.dumps([str(warehouse), select, f"rowid >= {split}", create, str(side)])
    helper = subprocess.Popen([sys.executable, __file__, "--side", job], stdout=subprocess.PIPE)
    with transaction(db):
        rows = _insert_where(con, db, select, f"rowid < {split}")
    out, _ = helper.communicate()
    assert helper.returncode == 0, "the helper process failed"
    rows += int(out)
    with attached(db, side, "side"), transaction(db):
        db.execute(f"INSERT INTO main.{TABLE} SELECT * FROM side.{TABLE}")
    side.unlink()
    return rows


def side_main(job: str) -> None:
    warehouse, select, where, create, side = json.loads(job)
    con = duckdb.connect(warehouse, read_only=True)
    db = sqlite3.connect(side, isolation_level=None)
    set_pragmas(db, (*UNJOURNALED, "locking_mode = EXCLUSIVE"))
    db.execute(create)
    with transaction(db):
        print(_insert_where(con, db, select, where))
    db.close()


METHODS: dict[str, Callable[[duckdb.DuckDBPyConnection, sqlite3.Connection, Path], int]] = {
    "adbc": copy_adbc,
    "executemany": copy_executemany,
    "executemany_two_processes": copy_two_processes,
}


def fingerprint(db: sqlite3.Connection) -> tuple[int, str, dict[str, list[str]]]:
    """Rows, a digest of every value with its storage class, and each column's classes."""
    names = [row[1] for row in db.execute(f"PRAGMA table_info({TABLE})")]
    cols = ", ".join(f"{n}, typeof({n})" for n in names)
    digest = hashlib.sha256()
    rows = 0
    for row in db.execute(f"SELECT {cols} FROM {TABLE} ORDER BY _row"):
        digest.update(repr(row).encode())
        rows += 1
    kinds = {
        n: sorted(k for (k,) in db.execute(f"SELECT DISTINCT typeof({n}) FROM {TABLE}"))
        for n in names
    }
    return rows, digest.hexdigest(), kinds


def run(rows: int, repeat: int, folder: Path) -> dict:
    warehouse = folder / "warehouse.duckdb"
    if not warehouse.exists():
        generate(warehouse, rows)
    con = duckdb.connect(str(warehouse), read_only=True)  # as the publication opens it
    times: dict[str, list[float]] = {name: [] for name in METHODS}
    prints = {}
    for _ in range(repeat):
        for name, method in METHODS.items():
            db = new_target(folder, name)
            started = time.perf_counter()
            copied = method(con, db, warehouse)
            times[name].append(time.perf_counter() - started)
            assert copied == rows, (name, copied)
            prints[name] = fingerprint(db)
            db.close()
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    reference = prints["executemany"]
    return {
        "rows": rows,
        "columns": 6,
        "repeat": repeat,
        "seconds": {n: round(m, 3) for n, m in medians.items()},
        "spread": {n: [round(min(ts), 3), round(max(ts), 3)] for n, ts in times.items()},
        "ratio_to_adbc": {
            n: round(medians[n] / medians["adbc"], 2) for n in METHODS if n != "adbc"
        },
        "same_rows": {n: prints[n][:2] == reference[:2] for n in METHODS},
        "kinds": prints["adbc"][2],
        "load": os.getloadavg(),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="folder kept for the warehouse and copies")
    parser.add_argument("--side", help=argparse.SUPPRESS)  # the two-process copy's helper
    args = parser.parse_args(argv)
    if args.side:
        side_main(args.side)
        return {}
    with tempfile.TemporaryDirectory(prefix="camp-bench-copy-") as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        result = run(args.rows, args.repeat, folder)
    for name, seconds in result["seconds"].items():
        low, high = result["spread"][name]
        print(
            f"{name:>26}: {seconds:6.3f} s (runs {low:.3f}-{high:.3f} s), "
            f"{result['rows'] / seconds:,.0f} rows/s, same rows: {result['same_rows'][name]}"
        )
    for name, ratio in result["ratio_to_adbc"].items():
        print(f"{name} / adbc: {ratio:.2f}x")
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
