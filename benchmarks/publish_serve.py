"""Publish and serve benchmark: our publisher and Datasette configuration against stock
`sqlite-utils insert --csv --detect-types` + default Datasette, on the same seeded rows.

    python benchmarks/publish_serve.py [--rows N] [--seconds S] [--clients C] [--seed K]
        [--ours-only]

Generates N DECP-shaped rows (0.1 % of `montant` cells malformed, as in real exports) in a
DuckDB warehouse laid out as the pipeline does (core typed, malformed rows in quarantine and
errors), publishes it with `publish_snapshot`, builds the stock database from the same rows as
CSV, then serves each in turn on 127.0.0.1 and drives C closed-loop clients for S seconds per
request type. Every request type draws its parameters from a seeded set of >= 1,000 distinct
values. Prints a table; the last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.catalog.load import load_catalog  # noqa: E402
from pipelines.publish.build import publish_snapshot  # noqa: E402
from pipelines.serve.command import datasette_command  # noqa: E402

TABLE = "core_decp__marches"
PROCEDURES = [
    "Procédure adaptée",
    "Appel d'offres ouvert",
    "Appel d'offres restreint",
    "Procédure avec négociation",
    "Dialogue compétitif",
    "Marché passé sans publicité ni mise en concurrence préalable",
    "Marché négocié sans publicité ni mise en concurrence préalable",
]
KINDS = [
    "COMMUNE DE",
    "DÉPARTEMENT DE",
    "CENTRE HOSPITALIER DE",
    "OFFICE PUBLIC DE L'HABITAT DE",
    "SYNDICAT DES EAUX DE",
    "COLLÈGE DE",
    "COMMUNAUTÉ DE COMMUNES DE",
]
PREFIXES = [
    "Saint-Étienne",
    "Mont",
    "Bel",
    "Châtel",
    "Val",
    "Roche",
    "Beau",
    "Ville",
    "Fontaine",
    "Neuf",
    "Bourg",
    "Pré",
    "Sainte-Hélène",
    "Lé",
    "Maré",
    "Cler",
    "Brie",
    "Ché",
    "Gé",
    "Bois",
    "Vaux",
    "Ro",
    "Mé",
    "Thé",
    "Sé",
    "Fé",
    "Pe",
    "Cha",
    "Lon",
    "Mar",
    "Vi",
    "Clé",
    "Gran",
    "Ba",
    "Do",
    "Rié",
    "Sau",
    "Ver",
    "Tré",
    "Ber",
]
SUFFIXES = [
    "ville",
    "court",
    "mont",
    "lieu",
    "champ",
    "fort",
    "bourg",
    "nay",
    "ac",
    "ières",
    "é",
    "ay",
    "ette",
    "ignac",
    "ès",
    "oux",
    "elle",
    "y",
    "ieu",
    "erre",
    "ange",
    "ors",
    "uire",
    "ine",
    "on",
    "ade",
    "ère",
    "ouze",
    "eux",
    "ain",
]
DEPARTMENTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + [
    "2A",
    "2B",
    "971",
    "972",
    "973",
    "974",
    "976",
]


def towns() -> list[str]:
    return [p + s for p in PREFIXES for s in SUFFIXES]  # 1,200 names


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def generate(con: duckdb.DuckDBPyConnection, rows: int, seed: int) -> None:
    """Seeded DECP-shaped rows: `gen` (typed + raw montant text), deterministic per row id."""
    names = towns()
    con.execute("CREATE TABLE towns (i INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO towns VALUES (?, ?)", list(enumerate(names)))
    con.execute("CREATE TABLE deps (i INTEGER, code VARCHAR)")
    con.executemany("INSERT INTO deps VALUES (?, ?)", list(enumerate(DEPARTMENTS)))
    con.execute("CREATE TABLE procs (i INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO procs VALUES (?, ?)", list(enumerate(PROCEDURES)))
    con.execute("CREATE TABLE kinds (i INTEGER, name VARCHAR)")
    con.executemany("INSERT INTO kinds VALUES (?, ?)", list(enumerate(KINDS)))
    h = f"(hash(r.i, {seed}, '{{}}') % 1000000)::BIGINT"  # deterministic pseudo-random
    con.execute(
        f"""
        CREATE TABLE gen AS
        WITH r AS (SELECT range AS i FROM range({rows})),
        b AS (SELECT i, ({h.format("buyer")} * 5000 // 1000000) AS buyer,
                     ({h.format("holder")} * 20000 // 1000000) AS holder,
                     {h.format("amount")} AS ha, {h.format("date")} AS hd,
                     {h.format("proc")} AS hp, {h.format("offers")} AS ho,
                     {h.format("cpv")} AS hc, {h.format("bad")} AS hb,
                     {h.format("months")} AS hm, {h.format("type")} AS ht
              FROM r)
        SELECT b.i + 1 AS _row,
               format('{{:014d}}{{}}', 20000000000000 + buyer * 7919, b.i) AS uid,
               format('2024{{:08d}}', b.i) AS id,
               ['Travaux', 'Services', 'Fournitures'][1 + ht % 3] AS type,
               format('{{:08d}}', 45000000 + (hc % 1500) * 97) AS codeCPV,
               format('{{:014d}}', 20000000000000 + buyer * 7919) AS acheteur_id,
               k.name || ' ' || upper(t.name) AS acheteur_nom,
               format('{{:014d}}', 30000000000000 + holder * 104729) AS titulaire_id,
               'ENTREPRISE ' || upper(t2.name) || ' ' || (holder % 97)::VARCHAR AS titulaire_nom,
               round(exp(7 + ha / 1000000.0 * 8), 2) AS montant,
               DATE '2019-01-01' + (hd % 2500)::INTEGER AS dateNotification,
               p.name AS procedure,
               (1 + hm % 60)::BIGINT AS dureeMois,
               (1 + (ho * ho // 100000000000 % 12))::BIGINT AS offresRecues,
               d.code AS acheteur_departement_code,
               d2.code AS titulaire_departement_code,
               '84' AS acheteur_region_code, '84' AS titulaire_region_code,
               hb < 1000 AS malformed
        FROM b
        JOIN towns t ON t.i = buyer % 1200
        JOIN towns t2 ON t2.i = (holder * 7) % 1200
        JOIN kinds k ON k.i = buyer % 7
        JOIN deps d ON d.i = buyer % {len(DEPARTMENTS)}
        JOIN deps d2 ON d2.i = holder % {len(DEPARTMENTS)}
        JOIN procs p ON p.i = (CASE WHEN hp < 550000 THEN 0 ELSE hp % 7 END)
        ORDER BY b.i
        """
    )
    columns = (
        "_row, uid, id, type, codeCPV, acheteur_id, acheteur_nom, titulaire_id, "
        "titulaire_nom, montant, dateNotification, procedure, dureeMois, offresRecues, "
        "acheteur_departement_code, titulaire_departement_code, acheteur_region_code, "
        "titulaire_region_code"
    )
    con.execute(f"CREATE TABLE {TABLE} AS SELECT {columns} FROM gen WHERE NOT malformed")
    text_cols = columns.replace(
        "montant,", "replace(montant::VARCHAR, '.', ',') || ' €' AS montant,"
    ).replace("dateNotification,", "dateNotification::VARCHAR AS dateNotification,")
    con.execute(
        f"CREATE TABLE quarantine_decp__marches AS SELECT {text_cols}, "
        "'Valeur « ' || replace(montant::VARCHAR, '.', ',') || ' € » : nombre attendu.' "
        "AS _erreurs, 'type-error' AS _types_erreur FROM gen WHERE malformed"
    )
    con.execute(
        "CREATE TABLE errors_decp__marches AS SELECT _row, 'montant' AS champ, "
        "'type-error' AS type, _erreurs AS message FROM quarantine_decp__marches"
    )


def write_stock_csv(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """The same rows as a CSV export: malformed amounts as found in the source."""
    con.execute(
        f"""COPY (SELECT * EXCLUDE (_row, malformed, montant),
                  CASE WHEN malformed THEN replace(montant::VARCHAR, '.', ',') || ' €'
                       ELSE montant::VARCHAR END AS montant
                  FROM gen ORDER BY _row) TO '{path}' (FORMAT csv, HEADER true)"""
    )


# --- load --------------------------------------------------------------------------------


def distinct(make: Callable[[], str], count: int = 1000) -> list[str]:
    """`count` distinct paths from a seeded generator (in generation order)."""
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[make()] = None
    return list(seen)


def request_sets(rng: random.Random, rows: int, stock: bool) -> dict[str, list[str]]:
    """Paths per request type, drawn from >= 1,000 distinct parameter values each."""
    names = towns()
    dates = [
        f"{2019 + y}-{m:02d}-{d:02d}" for y in range(6) for m in range(1, 13) for d in range(1, 29)
    ]
    table_page = [
        f"/camp/{TABLE}?" + urlencode({"_next": n}) for n in rng.sample(range(1, rows), 1000)
    ]

    def facet_path() -> str:
        params = [
            ("acheteur_departement_code", rng.choice(DEPARTMENTS)),
            ("dateNotification__gte", rng.choice(dates)),
            ("_facet", "procedure"),
            ("_facet", "offresRecues"),
            ("_size", "20"),
        ]
        return f"/camp/{TABLE}.json?" + urlencode(params)

    def range_path() -> str:
        low = round(rng.uniform(1_000, 2_000_000), 2)
        params = {"montant__gte": low, "montant__lt": round(low * 1.02, 2), "_size": 50}
        return f"/camp/{TABLE}.json?" + urlencode(params)

    facets = distinct(facet_path)
    ranges = distinct(range_path)
    search = []
    for name in names[:1000] + names[:200]:
        if stock:  # no FTS index without us: what a participant can do is a LIKE filter
            params = {"acheteur_nom__contains": name.upper(), "_size": 20}
        else:
            params = {"_search": plain(name).lower(), "_size": 20}
        search.append(f"/camp/{TABLE}.json?" + urlencode(params))
    sql = (
        f"SELECT procedure, count(*) AS marches, round(avg(offresRecues), 2) AS offres, "
        f"sum(montant) AS montant FROM {TABLE} WHERE acheteur_departement_code = :dep "
        f"AND dateNotification >= :du GROUP BY procedure ORDER BY marches DESC"
    )
    aggregate = distinct(
        lambda: (
            "/camp.json?"
            + urlencode(
                {
                    "sql": sql,
                    "dep": rng.choice(DEPARTMENTS),
                    "du": rng.choice(dates),
                    "_shape": "objects",
                }
            )
        )
    )
    for name, paths in {
        "table_page": table_page,
        "facets": facets,
        "range_filter": ranges,
        "search": search,
        "aggregate": aggregate,
    }.items():
        assert len(set(paths)) >= 1000, name
    return {
        "table_page": table_page,
        "facets_with_filter": facets,
        "range_filter": ranges,
        "search": search,
        "grouped_aggregate": aggregate,
    }


def problem(kind: str, status: int, body: bytes) -> str | None:
    """Why a response is a failure: HTTP error, SQL error, or a facet that silently vanished."""
    if status != 200:
        return f"HTTP {status}"
    if kind == "table_page":
        return None
    data = json.loads(body)
    if isinstance(data, dict) and data.get("ok") is False:
        return str(data.get("error"))[:80]
    if kind == "facets_with_filter":
        missing = {"procedure", "offresRecues"} - set(data.get("facet_results", {}))
        if missing or data.get("facets_timed_out"):
            return "facet timed out"
    return None


def drive(
    port: int, kind: str, paths: list[str], clients: int, seconds: float, rng: random.Random
) -> dict[str, object]:
    """C closed-loop clients for S seconds; each request picks a path at random."""
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    order = [rng.randrange(len(paths)) for _ in range(200_000)]
    cursor = iter(order)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        while time.monotonic() < deadline:
            with lock:
                path = paths[next(cursor)]
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                body = response.read()
                why = problem(kind, response.status, body)
            except (OSError, http.client.HTTPException) as error:
                why = f"{type(error).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                if why:
                    failures.append(why)
        conn.close()

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else None
    return {
        "requests": len(latencies),
        "p50_ms": round(statistics.median(ordered) * 1000, 1) if ordered else None,
        "p95_ms": round(p95 * 1000, 1) if p95 is not None else None,
        "rps": round(len(latencies) / wall, 2),
        "failures": len(failures),
        "failure_examples": sorted(set(failures))[:3],
    }


def serve(argv: list[str], port: int, log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/-/versions.json")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


def bench_server(
    argv: list[str],
    port: int,
    log: Path,
    sets: dict[str, list[str]],
    clients: int,
    seconds: float,
    seed: int,
) -> dict[str, dict[str, object]]:
    process = serve(argv, port, log)
    try:
        results = {}
        for kind, paths in sets.items():
            drive(port, kind, paths[:20], 2, 2.0, random.Random(seed))  # warm the page cache
            results[kind] = drive(port, kind, paths, clients, seconds, random.Random(seed))
            print(f"  {kind:20} {results[kind]}", flush=True)
        return results
    finally:
        process.terminate()
        process.wait(timeout=30)


def stock_insert_argv(db: Path, csv_path: Path) -> list[str]:
    """`sqlite-utils insert --csv --detect-types` (sqlite-utils 4 detects types by default)."""
    cli = str(Path(sys.executable).with_name("sqlite-utils"))
    argv = [cli, "insert", str(db), TABLE, str(csv_path), "--csv"]
    usage = subprocess.run([cli, "insert", "--help"], capture_output=True, text=True).stdout
    return argv + (["--detect-types"] if "--detect-types" in usage else [])


def wrong_range_rows(stock_db: Path, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """`montant > 100000` on each database against the truth (malformed cells excluded)."""
    import sqlite3

    truth = con.execute("SELECT count(*) FROM gen WHERE NOT malformed AND montant > 100000")
    expected = truth.fetchone()[0]
    stock = sqlite3.connect(stock_db)
    got = stock.execute(f"SELECT count(*) FROM {TABLE} WHERE montant > 100000").fetchone()[0]
    kind = stock.execute(
        f"SELECT type FROM pragma_table_info('{TABLE}') WHERE name = 'montant'"
    ).fetchone()[0]
    return {"expected": expected, "stock_returned": got, "stock_montant_type": kind}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--ours-only", action="store_true", help="skip the stock build and server (minutes)"
    )
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="camp-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"work dir: {work}; {args.rows:,} rows, {args.clients} clients, "
        f"{args.seconds:.0f} s per request type",
        flush=True,
    )

    warehouse = work / "warehouse.duckdb"
    warehouse.unlink(missing_ok=True)
    con = duckdb.connect(str(warehouse))
    started = time.perf_counter()
    generate(con, args.rows, args.seed)
    csv_path = work / "decp.csv"
    write_stock_csv(con, csv_path)
    print(f"generated in {time.perf_counter() - started:.1f} s", flush=True)
    con.close()

    datasets = [d for d in load_catalog(ROOT / "catalog") if d.name == "decp"]
    marts = []
    started = time.perf_counter()
    snapshot = publish_snapshot(warehouse, datasets, marts, work / "publish", downloads=False)
    ours_s = time.perf_counter() - started
    ours_rows = sum(snapshot.tables.values())
    print(f"ours: {ours_rows:,} rows in {ours_s:.1f} s {snapshot.timings}", flush=True)

    if args.ours_only:
        port = 8740 + args.seed % 50
        ours = bench_server(
            datasette_command(work / "publish", port=port),
            port,
            work / "ours.log",
            request_sets(random.Random(args.seed), args.rows, stock=False),
            args.clients,
            args.seconds,
            args.seed,
        )
        print(json.dumps({"rows": args.rows, "clients": args.clients, "ours": ours}))
        return

    stock_db = work / "stock" / "camp.db"  # served as /camp, like ours
    stock_db.parent.mkdir(exist_ok=True)
    stock_db.unlink(missing_ok=True)
    started = time.perf_counter()
    subprocess.run(stock_insert_argv(stock_db, csv_path), check=True)
    stock_s = time.perf_counter() - started
    print(f"stock: {args.rows:,} rows in {stock_s:.1f} s", flush=True)

    con = duckdb.connect(str(warehouse), read_only=True)
    correctness = wrong_range_rows(stock_db, con)
    con.close()

    rng = random.Random(args.seed)
    port = 8740 + args.seed % 50
    print("ours (datasette_command):", flush=True)
    ours = bench_server(
        datasette_command(work / "publish", port=port),
        port,
        work / "ours.log",
        request_sets(rng, args.rows, stock=False),
        args.clients,
        args.seconds,
        args.seed,
    )
    print("stock (datasette serve, defaults):", flush=True)
    stock_argv = [
        sys.executable,
        "-m",
        "datasette",
        "serve",
        str(stock_db),
        "-h",
        "127.0.0.1",
        "-p",
        str(port + 1),
    ]
    rng = random.Random(args.seed)
    stock = bench_server(
        stock_argv,
        port + 1,
        work / "stock.log",
        request_sets(rng, args.rows, stock=True),
        args.clients,
        args.seconds,
        args.seed,
    )
    ratios = {
        k: round(ours[k]["rps"] / stock[k]["rps"], 1) if stock[k]["rps"] else None for k in ours
    }
    summary = {
        "rows": args.rows,
        "clients": args.clients,
        "seconds_per_type": args.seconds,
        "publish_rows_per_s": {
            "ours": round(ours_rows / ours_s),
            "sqlite_utils": round(args.rows / stock_s),
            "ratio": round((ours_rows / ours_s) / (args.rows / stock_s), 1),
        },
        "publish_timings_s": snapshot.timings,
        "montant_gt_100000": correctness,
        "ours": ours,
        "stock": stock,
        "rps_ratio": ratios,
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
