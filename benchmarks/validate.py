"""Benchmark the validation engine against frictionless-py and DuckDB's raw CSV read.

    python benchmarks/validate.py [--rows N] [--repeat N] [--slice N] [--keep DIR]

Generates a seeded DECP-shaped CSV (the `decp.marches` schema of the catalogue) with
about 1 % invalid cells of known kinds, each making exactly one error; then, each in a
fresh process: DuckDB's raw `read_csv` (the ceiling), the floor (the same numbered read
as ours with one TRY_CAST per field into a table, no check: what no validation of this
file can beat on this machine), our checking scan with a pass/fail flag per row and no
error detail (the budget left for details), our engine (validate_table on a view over
read_csv: the file is read once, while checking), and frictionless-py on the same file
(error limit raised; `--slice N` gives it a file of the first N rows only, quicker).
The DuckDB measures run `--repeat` times (default 3), each quoted by its median run,
with the spread: one run of 1-2 s moves by ±15 % on this VM, frictionless's single run
of a minute much less. Prints rows/s, ratios, peak RSS and whether the error counts equal
the injected ones; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb

ROOT = Path(__file__).resolve().parent.parent
P = 212  # per ten thousand: 8 injected kinds × 2.12 % ≈ 1 % of the 17 columns' cells


def _pick(i: str, salt: str, values: list[str]) -> str:
    items = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"[{items}][CAST(1 + hash({i}, '{salt}') % {len(values)} AS BIGINT)]"


def _bad(salt: str) -> str:
    return f"(hash(i, 'bad-{salt}') % 10000 < {P})"


# kind → (column, invalid value SQL, error type)
INJECTED = {
    "montant": ("montant", "'12,5'", "type-error"),
    "duree": ("dureeMois", "'12.5'", "type-error"),
    "date": ("dateNotification", "'2023-02-30'", "type-error"),
    "type": ("type", "'Travail'", "constraint-error"),
    "cpv": ("codeCPV", "'4521420'", "constraint-error"),
    "acheteur": ("acheteur_id", "'2000625860015'", "constraint-error"),
    "offres": ("offresRecues", "''", "constraint-error"),
    "uid": ("uid", "'20006258600157202413'", "constraint-error"),
}


def generate(path: Path, rows: int) -> dict[str, int]:
    """Write the CSV; returns the number of injected errors by kind."""
    procedures = ["Procédure adaptée", "Appel d'offres ouvert", "Appel d'offres restreint",
                  "Procédure avec négociation", "Dialogue compétitif"]
    valid = {
        "uid": "acheteur_id_ok || lpad(CAST(i AS VARCHAR), 8, '0')",
        "id": "CAST(i AS VARCHAR)",
        "type": _pick("i", "type", ["Travaux", "Services", "Fournitures"]),
        "codeCPV": "'4521' || lpad(CAST(hash(i, 'cpv') % 10000 AS VARCHAR), 4, '0')",
        "acheteur_id": "acheteur_id_ok",
        "acheteur_nom": "'COMMUNE NUMERO ' || CAST(hash(i, 'ach') % 5000 AS VARCHAR)",
        "titulaire_id": "lpad(CAST(hash(i, 'tit') % 100000000000000 AS VARCHAR), 14, '0')",
        "titulaire_nom": "'ENTREPRISE ' || CAST(hash(i, 'titn') % 50000 AS VARCHAR)",
        "montant": "printf('%.2f', (hash(i, 'mnt') % 100000000) / 100.0)",
        "dateNotification": "strftime(DATE '2024-07-01' + CAST(hash(i, 'd') % 184 AS INTEGER),"
                            " '%Y-%m-%d')",
        "procedure": _pick("i", "proc", procedures),
        "dureeMois": "CAST(1 + hash(i, 'dur') % 48 AS VARCHAR)",
        "offresRecues": "CAST(1 + hash(i, 'off') % 10 AS VARCHAR)",
        "acheteur_departement_code": "lpad(CAST(1 + hash(i, 'ad') % 95 AS VARCHAR), 2, '0')",
        "titulaire_departement_code": "lpad(CAST(1 + hash(i, 'td') % 95 AS VARCHAR), 2, '0')",
        "acheteur_region_code": _pick("i", "ar", ["11", "24", "27", "28", "32", "44", "84"]),
        "titulaire_region_code": _pick("i", "tr", ["11", "24", "27", "28", "32", "44", "84"]),
    }
    columns = []
    for name, expr in valid.items():
        for kind, (column, bad, _) in INJECTED.items():
            if column == name:
                expr = f"CASE WHEN {_bad(kind)} THEN {bad} ELSE {expr} END"
        columns.append(f'{expr} AS "{name}"')
    counts = ", ".join(f"count(*) FILTER ({_bad(k)}) AS \"{k}\"" for k in INJECTED)
    base = (
        "SELECT i, lpad(CAST(hash(i, 'acheteur') % 100000000000000 AS VARCHAR), 14, '0') "
        f"AS acheteur_id_ok FROM range({rows}) AS t(i)"
    )
    with duckdb.connect() as con:
        con.execute(
            f"COPY (SELECT {', '.join(columns)} FROM ({base}) ORDER BY i) TO '{path}' "
            "(HEADER, DELIMITER ',')"
        )
        row = con.execute(f"SELECT {counts} FROM range({rows}) AS t(i)").fetchone()
    return dict(zip(INJECTED, map(int, row or ()), strict=True))


def _schema() -> dict[str, Any]:
    from pipelines.catalog.load import load_catalog

    datasets = {d.name: d for d in load_catalog(ROOT / "catalog")}
    return datasets["decp"].resource("marches").schema


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _read_csv(path: str) -> str:
    """`read_csv` of the file as text cells, its dialect and header named: a view over a
    sniffing `read_csv` sniffs the file again each time a statement binds it (~40 ms
    at 1M rows, and the engine binds its source two or three times)."""
    with open(path, newline="", encoding="utf-8") as file:
        header = next(csv.reader(file))
    columns = ", ".join("'" + h.replace("'", "''") + "': 'VARCHAR'" for h in header)
    return (
        f"read_csv('{path}', auto_detect=false, header=true, delim=',', quote='\"', "
        f"escape='\"', columns={{{columns}}})"
    )


def run_raw(path: str) -> dict[str, Any]:
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        con.execute(f"CREATE TABLE raw AS SELECT * FROM {_read_csv(path)}")
        seconds = time.perf_counter() - started
        rows = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_mb()}


def _numbered_view(con: duckdb.DuckDBPyConnection, path: str) -> None:
    """`src`: the file's cells as text, `_row` its line number (header = line 1).

    ORDINALITY numbers the records in file order without a window, but makes the reader
    single-threaded, and with it every operator it feeds: MATERIALIZED buffers the
    numbered cells once (uncompressed, in memory) so what reads `src` runs on every core
    (1M rows: checking scan 2.35 -> 1.3 s).
    """
    con.execute(
        f"CREATE VIEW src AS WITH numbered AS MATERIALIZED (SELECT * EXCLUDE (ordinality), "
        f"CAST(ordinality + 1 AS BIGINT) AS _row FROM {_read_csv(path)} "
        f"WITH ORDINALITY) SELECT * FROM numbered"
    )


def run_floor(path: str) -> dict[str, Any]:
    """The fastest conceivable validation: the same numbered read, one TRY_CAST per field
    to its column type, written to a table; no check, no error, no quarantine."""
    from pipelines.validate import duckdb_type

    fields = _schema()["fields"]
    # nullif keeps DuckDB from pushing the cast into the CSV reader, where TRY_CAST
    # turns into a strict cast that aborts the read on the first bad cell
    casts = ", ".join(
        f"TRY_CAST(nullif(\"{f['name']}\", '') AS {duckdb_type(f)}) AS \"{f['name']}\""
        for f in fields
    )
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET preserve_insertion_order = false")
        started = time.perf_counter()
        _numbered_view(con, path)
        con.execute(f"CREATE TABLE typed AS SELECT _row, {casts} FROM src")
        seconds = time.perf_counter() - started
        rows = con.execute("SELECT count(*) FROM typed").fetchone()[0]
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": _peak_mb()}


def run_checks_only(path: str) -> dict[str, Any]:
    """Our checking scan with every check but only a pass/fail flag per row: no message,
    no raw cell, no quarantine or errors table. What is left between it and `run_ours` is
    the price of the error details (the engine's private `_Run`, for this measure only)."""
    from pipelines.validate.engine import _Run
    from pipelines.validate.header import match_columns

    schema = _schema()
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        _numbered_view(con, path)
        columns = [r[0] for r in con.execute("DESCRIBE src").fetchall() if r[0] != "_row"]
        mapping, _ = match_columns(columns, [f["name"] for f in schema["fields"]], None)
        run = _Run(con, '"src"', schema, None, "flagged", [], True)
        run.check_cells(mapping, "flagged", flag_only=True)
        seconds = time.perf_counter() - started
        row = con.execute("SELECT count(*), count(*) FILTER (_bad) FROM flagged").fetchone()
    return {"rows": row[0], "failing": row[1], "seconds": seconds,
            "peak_rss_mb": _peak_mb()}


def run_ours(path: str) -> dict[str, Any]:
    from pipelines.validate import validate_table

    schema = _schema()
    with duckdb.connect() as con:
        con.execute("SET enable_progress_bar = false")
        started = time.perf_counter()
        # one pass over the file: the engine reads the CSV through this view while it
        # checks it (the pipeline passes a loaded table instead; same engine, same SQL)
        _numbered_view(con, path)
        read = time.perf_counter() - started
        report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e")
        seconds = time.perf_counter() - started
        by_type = report.errors_by_type
    return {"rows": report.rows_read, "seconds": seconds, "read_seconds": read,
            "validate_seconds": seconds - read, "errors_by_type": by_type,
            "errors": report.error_count, "rows_quarantined": report.rows_quarantined,
            "peak_rss_mb": _peak_mb()}


def run_frictionless(path: str) -> dict[str, Any]:
    from frictionless import Resource, Schema, validate

    schema = Schema.from_descriptor(_schema())
    started = time.perf_counter()
    target = Path(path)
    report = validate(Resource(path=target.name, basepath=str(target.parent), schema=schema),
                      limit_errors=10**9)
    seconds = time.perf_counter() - started
    by_type: dict[str, int] = {}
    for task in report.tasks:
        for error in task.errors:
            by_type[error.type] = by_type.get(error.type, 0) + 1
    return {"rows": report.tasks[0].stats["rows"], "seconds": seconds,
            "errors": sum(by_type.values()), "errors_by_type": by_type,
            "peak_rss_mb": _peak_mb()}


def in_child(function: Any, path: Path) -> dict[str, Any]:
    """Run in a fresh process so each peak RSS is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, (str(path),))


def median_run(function: Any, path: Path, repeat: int) -> dict[str, Any]:
    """The median of `repeat` fresh-process runs by time, with every run's seconds and the
    highest peak RSS."""
    runs = sorted((in_child(function, path) for _ in range(repeat)), key=lambda r: r["seconds"])
    median = dict(runs[(len(runs) - 1) // 2])
    median["all_seconds"] = [round(r["seconds"], 3) for r in runs]
    median["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    return median


def _spread(run: dict[str, Any]) -> str:
    times = run["all_seconds"]
    if len(times) == 1:
        return "1 run"
    return f"median of {len(times)}, {times[0]:.2f}–{times[-1]:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each DuckDB measure")
    parser.add_argument("--slice", type=int, help="give frictionless the first N rows only")
    parser.add_argument("--keep", type=Path, help="write the CSV files here and keep them")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        full, part = folder / "decp-bench.csv", folder / "decp-bench-slice.csv"
        started = time.perf_counter()
        injected = generate(full, args.rows)
        sliced = injected
        if args.slice and args.slice < args.rows:
            sliced = generate(part, args.slice)
        else:
            part = full
        print(f"generated {args.rows:,} rows in {time.perf_counter() - started:.1f} s, "
              f"{sum(injected.values()):,} injected errors {injected}")
        raw = median_run(run_raw, full, args.repeat)
        floor = median_run(run_floor, full, args.repeat)
        checks = median_run(run_checks_only, full, args.repeat)
        ours = median_run(run_ours, full, args.repeat)
        theirs = in_child(run_frictionless, part)
    ours_rate = ours["rows"] / ours["seconds"]
    raw_rate = raw["rows"] / raw["seconds"]
    floor_rate = floor["rows"] / floor["seconds"]
    checks_rate = checks["rows"] / checks["seconds"]
    their_rate = theirs["rows"] / theirs["seconds"]
    expected = {}
    for kind, count in injected.items():
        expected[INJECTED[kind][2]] = expected.get(INJECTED[kind][2], 0) + count
    figures = {
        "rows": args.rows,
        "ours_rows_per_s": round(ours_rate),
        "ours_seconds": round(ours["seconds"], 3),
        "ours_read_seconds": round(ours["read_seconds"], 3),
        "ours_validate_seconds": round(ours["validate_seconds"], 3),
        "ours_all_seconds": ours["all_seconds"],
        "raw_read_all_seconds": raw["all_seconds"],
        "floor_all_seconds": floor["all_seconds"],
        "frictionless_rows": theirs["rows"],
        "frictionless_rows_per_s": round(their_rate),
        "speedup_vs_frictionless": round(ours_rate / their_rate, 1),
        "raw_read_rows_per_s": round(raw_rate),
        "floor_rows_per_s": round(floor_rate),
        "floor_speedup_vs_frictionless": round(floor_rate / their_rate, 1),
        "checks_only_rows_per_s": round(checks_rate),
        "checks_only_all_seconds": checks["all_seconds"],
        "checks_only_speedup_vs_frictionless": round(checks_rate / their_rate, 1),
        "checks_only_failing_rows": checks["failing"],
        "ours_rows_quarantined": ours["rows_quarantined"],
        "share_of_raw_ceiling": round(ours_rate / raw_rate, 3),
        "peak_rss_mb_ours": round(ours["peak_rss_mb"], 1),
        "peak_rss_mb_raw_read": round(raw["peak_rss_mb"], 1),
        "peak_rss_mb_frictionless": round(theirs["peak_rss_mb"], 1),
        "injected_errors": sum(injected.values()),
        "ours_errors": ours["errors"],
        "ours_errors_by_type": ours["errors_by_type"],
        "expected_errors_by_type": expected,
        "ours_counts_exact": ours["errors_by_type"] == expected,
        "frictionless_injected_errors": sum(sliced.values()),
        "frictionless_errors": theirs["errors"],
        "frictionless_counts_exact": theirs["errors"] == sum(sliced.values()),
        "targets": {
            "speedup_at_least_50": ours_rate / their_rate >= 50,
            "half_of_raw_ceiling": ours_rate / raw_rate >= 0.5,
            "peak_rss_under_2gb": ours["peak_rss_mb"] < 2048,
        },
    }
    print(f"ours         {ours_rate:12,.0f} rows/s  ({ours['seconds']:.2f} s, {_spread(ours)})")
    print(f"frictionless {their_rate:12,.0f} rows/s  (on {theirs['rows']:,} rows)  "
          f"→ ×{ours_rate / their_rate:.0f}")
    print(f"raw read_csv {raw_rate:12,.0f} rows/s  ({_spread(raw)})  → ours at "
          f"{ours_rate / raw_rate:.0%} of it")
    print(f"floor        {floor_rate:12,.0f} rows/s  (numbered read + one TRY_CAST per field, "
          f"no check; {_spread(floor)}) → ×{floor_rate / their_rate:.0f} frictionless; ours at "
          f"{ours_rate / floor_rate:.0%} of it")
    print(f"checks only  {checks_rate:12,.0f} rows/s  (every check, a pass/fail flag per row, no "
          f"error detail; {_spread(checks)}) → ×{checks_rate / their_rate:.0f} frictionless; "
          f"{checks['failing']:,} failing rows (ours quarantined {ours['rows_quarantined']:,})")
    print(f"peak RSS     ours {ours['peak_rss_mb']:.0f} MB, raw read {raw['peak_rss_mb']:.0f} MB,"
          f" frictionless {theirs['peak_rss_mb']:.0f} MB")
    print(f"errors       ours {ours['errors']:,} / injected {sum(injected.values()):,} "
          f"exact={figures['ours_counts_exact']}; frictionless {theirs['errors']:,} / "
          f"{sum(sliced.values()):,} exact={figures['frictionless_counts_exact']}")
    print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
