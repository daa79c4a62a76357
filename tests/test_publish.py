"""The publisher without a server: snapshot layout, types, indexes, FTS, pointer, pruning."""

from __future__ import annotations

import html
import json
import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines.catalog.load import load_catalog, load_marts
from pipelines.catalog.model import Dataset, Mart
from pipelines.publish.build import publish_snapshot
from pipelines.publish.plan import TablePlan
from pipelines.publish.site import load_extras, tables_used
from pipelines.publish.snapshot import read_pointer
from pipelines.publish.sqlite_copy import _prefetched, copy_table, create_indexes, sqlite_type
from tests.fixtures.publish.warehouse import duck, make_warehouse

CATALOG = Path(__file__).resolve().parent.parent / "catalog"


@pytest.fixture(scope="module")
def catalogue() -> tuple[list[Dataset], list[Mart]]:
    return load_catalog(CATALOG), load_marts(CATALOG)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, catalogue) -> Path:
    datasets, _ = catalogue
    decp = next(d for d in datasets if d.name == "decp")
    return make_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb", decp)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, catalogue, warehouse):
    datasets, marts = catalogue
    publish_dir = tmp_path_factory.mktemp("publish")
    return publish_dir, publish_snapshot(warehouse, datasets, marts, publish_dir)


def test_every_present_table_is_published_with_all_its_rows(warehouse, published) -> None:
    _, snapshot = published
    names = [r[0] for r in duck(warehouse, "SELECT table_name FROM duckdb_tables()")]
    assert set(snapshot.tables) == set(names)
    db = sqlite3.connect(snapshot.path)
    for name in names:
        expected = duck(warehouse, f'SELECT count(*) FROM "{name}"')[0][0]
        assert snapshot.tables[name] == expected
        assert db.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == expected
    assert snapshot.tables["quarantine_decp__marches"] == 2  # the two committed invalid rows


def test_absent_tables_are_listed_as_missing(published, catalogue) -> None:
    publish_dir, snapshot = published
    datasets, marts = catalogue
    acceslibre = next(d for d in datasets if d.name == "acceslibre").resources[0]
    assert acceslibre.table("core") in snapshot.missing
    assert "core_decp__marches" not in snapshot.missing
    metadata = json.loads((snapshot.folder / "metadata.json").read_text())
    assert acceslibre.table("core") in metadata["x-camp"]["missing"]
    assert read_pointer(publish_dir)["missing"] == list(snapshot.missing)


def test_numbers_stay_numbers_and_dates_are_iso_text(published, warehouse) -> None:
    _, snapshot = published
    db = sqlite3.connect(snapshot.path)
    types = {r[1]: r[2] for r in db.execute("PRAGMA table_info(core_decp__marches)")}
    assert types["montant"] == "REAL"
    assert types["offresRecues"] == "INTEGER"
    assert types["acheteur_id"] == "TEXT"  # SIRET: leading zeros must survive
    stored = db.execute(
        "SELECT DISTINCT typeof(montant) FROM core_decp__marches WHERE montant IS NOT NULL"
    ).fetchall()
    assert stored == [("real",)]
    over = db.execute("SELECT count(*) FROM core_decp__marches WHERE montant > 100000").fetchone()
    assert (
        over[0]
        == duck(warehouse, "SELECT count(*) FROM core_decp__marches WHERE montant > 100000")[0][0]
    )
    first_date = db.execute("SELECT dateNotification FROM core_decp__marches LIMIT 1").fetchone()
    assert len(first_date[0]) == 10 and first_date[0][4] == "-"


def test_row_number_is_the_primary_key_of_core_and_quarantine(published) -> None:
    _, snapshot = published
    db = sqlite3.connect(snapshot.path)
    for table in ("core_decp__marches", "quarantine_decp__marches"):
        pk = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[5]]
        assert pk == ["_row"]
    # several errors may share a row: no key there
    assert not [r for r in db.execute("PRAGMA table_info(errors_decp__marches)") if r[5]]


def test_facet_and_filter_columns_are_indexed(published, catalogue) -> None:
    _, snapshot = published
    decp = next(d for d in catalogue[0] if d.name == "decp").resource("marches")
    db = sqlite3.connect(snapshot.path)
    names = [r[1] for r in db.execute("PRAGMA index_list(core_decp__marches)")]
    indexed = {db.execute(f'PRAGMA index_info("{name}")').fetchone()[2] for name in names}
    assert set(decp.facets) <= indexed
    assert {"montant", "dateNotification", "acheteur_id"} <= indexed


def test_full_text_search_ignores_accents_and_case(published) -> None:
    _, snapshot = published
    db = sqlite3.connect(snapshot.path)
    sql = "SELECT count(*) FROM core_decp__marches_fts WHERE core_decp__marches_fts MATCH ?"
    plain = db.execute(sql, ["filliere"]).fetchone()[0]
    accented = db.execute(sql, ["FILLIÈRE"]).fetchone()[0]
    expected = db.execute(
        "SELECT count(*) FROM core_decp__marches WHERE acheteur_nom LIKE '%FILLIERE%' "
        "OR titulaire_nom LIKE '%FILLIERE%'"
    ).fetchone()[0]
    assert plain == accented == expected > 0


def test_every_full_text_index_agrees_with_its_table(published) -> None:
    """FTS5's own check, against the content table too (rank 1): every row is indexed once."""
    _, snapshot = published
    db = sqlite3.connect(snapshot.path)
    names = [
        r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%USING fts5%'")
    ]
    assert "core_decp__marches_fts" in names
    for fts in names:
        db.execute(f'INSERT INTO "{fts}" ("{fts}", rank) VALUES (\'integrity-check\', 1)')


def test_downloads_and_datapackage_describe_the_tables(published, warehouse) -> None:
    _, snapshot = published
    folder = snapshot.folder / "downloads"
    package = json.loads((folder / "datapackage.json").read_text())
    by_name = {r["path"].removesuffix(".csv"): r for r in package["resources"]}
    assert set(by_name) == set(snapshot.tables)
    fields = {f["name"]: f for f in by_name["core_decp__marches"]["schema"]["fields"]}
    assert fields["montant"]["type"] == "number"
    assert fields["montant"]["description"]
    assert by_name["core_decp__marches"]["licenses"][0]["name"] == "etalab-2.0"
    con = duckdb.connect()
    parquet = con.execute(
        f"SELECT count(*), sum(montant) FROM '{folder}/core_decp__marches.parquet'"
    )
    expected = duck(warehouse, "SELECT count(*), sum(montant) FROM core_decp__marches")[0]
    assert parquet.fetchone() == pytest.approx(expected)


@pytest.fixture(scope="module")
def validated(tmp_path_factory: pytest.TempPathFactory, catalogue):
    """A publication of core tables the real validator filled (the `warehouse` fixture only
    casts types, so its rows may break the constraints the datapackage now publishes)."""
    from pipelines.read import read_resource
    from pipelines.validate import validate_table

    datasets, _ = catalogue
    chosen = [d for d in datasets if d.name in ("decp", "gtfs_star")]
    path = tmp_path_factory.mktemp("validated") / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        for dataset in chosen:
            for resource in dataset.resources:
                options = {"format": resource.format, **resource.read_options}
                frame = read_resource(resource.sample_path, options).frame  # noqa: F841
                con.execute("CREATE OR REPLACE TABLE raw_source AS SELECT * FROM frame")
                validate_table(
                    con,
                    "raw_source",
                    resource.schema,
                    valid=resource.table("core"),
                    quarantine=resource.table("quarantine"),
                    errors=resource.table("errors"),
                    french_checks=False,
                )
            con.execute("DROP TABLE raw_source")
    return publish_snapshot(path, chosen, [], tmp_path_factory.mktemp("validated_publish"))


def test_the_frictionless_package_validates(validated) -> None:
    """The published CSV files satisfy the Table Schema they are published with."""
    from frictionless import Package

    package = Package(str(validated.folder / "downloads" / "datapackage.json"))
    report = package.validate()
    assert report.valid, report.flatten(["resourceName", "fieldName", "type", "note"])[:5]


def test_the_datapackage_publishes_the_catalogue_table_schema(validated, catalogue) -> None:
    """Constraints and descriptions come from the descriptor, not from DuckDB types."""
    datasets, _ = catalogue
    package = json.loads((validated.folder / "downloads" / "datapackage.json").read_text())
    by_name = {r["path"].removesuffix(".csv"): r for r in package["resources"]}
    decp = next(d for d in datasets if d.name == "decp").resource("marches")
    published = {f["name"]: f for f in by_name["core_decp__marches"]["schema"]["fields"]}
    for spec in decp.schema["fields"]:
        assert published[spec["name"]]["type"] == spec["type"]
        assert published[spec["name"]].get("constraints") == spec.get("constraints")
        assert published[spec["name"]]["description"] == spec["description"]
        assert not any(k.startswith("x-camp") for k in published[spec["name"]])
    quarantine = by_name["quarantine_decp__marches"]["schema"]["fields"]
    assert {f["type"] for f in quarantine if f["name"] != "_row"} == {"string"}
    star = by_name["core_gtfs_star__arrets"]
    assert "ODbL" in star["x-camp-attribution"]


def test_meta_tables_keep_their_duckdb_comments(published) -> None:
    _, snapshot = published
    metadata = json.loads((snapshot.folder / "metadata.json").read_text())
    table = metadata["databases"]["camp"]["tables"]["meta_camp__statut"]
    assert table["columns"]["etat"] == "État du jeu de données."
    assert "Statut expliqué" in table["description_html"]


def test_pointer_moves_and_old_publications_are_pruned(tmp_path: Path, catalogue, warehouse):
    datasets, marts = catalogue
    ids = [
        publish_snapshot(warehouse, datasets, marts, tmp_path, keep=2, downloads=False).id
        for _ in range(3)
    ]
    # replaced moments ago: a running Datasette may still read them, so they stay
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ids
    ids.append(publish_snapshot(warehouse, datasets, marts, tmp_path, keep=2, grace_s=0).id)
    assert len(set(ids)) == 4
    assert sorted(p.name for p in (tmp_path / "snapshots").iterdir()) == ids[-2:]
    assert read_pointer(tmp_path)["id"] == ids[-1]


def test_a_failed_publication_leaves_the_current_one_untouched(
    tmp_path: Path, catalogue, warehouse
) -> None:
    datasets, marts = catalogue
    first = publish_snapshot(warehouse, datasets, marts, tmp_path, downloads=False)
    with pytest.raises(duckdb.Error):
        publish_snapshot(tmp_path / "absent.duckdb", datasets, marts, tmp_path)
    assert read_pointer(tmp_path)["id"] == first.id
    assert [p.name for p in (tmp_path / "snapshots").iterdir()] == [first.id]


@pytest.mark.parametrize(
    ("duckdb_type", "expected"),
    [
        ("BIGINT", "INTEGER"),
        ("DOUBLE", "REAL"),
        ("DECIMAL(18,3)", "REAL"),
        ("BOOLEAN", "INTEGER"),
        ("DATE", "TEXT"),
        ("VARCHAR", "TEXT"),
        ("TIMESTAMP WITH TIME ZONE", "TEXT"),
        ("VARCHAR[]", "TEXT"),
    ],
)
def test_sqlite_types(duckdb_type: str, expected: str) -> None:
    assert sqlite_type(duckdb_type) == expected


def test_every_dashboard_and_query_reads_published_table_names(catalogue) -> None:
    datasets, marts = catalogue
    known = {
        r.table(layer)
        for d in datasets
        for r in d.resources
        for layer in ("core", "quarantine", "errors")
    } | {m.table for m in marts}
    everything = load_extras(known | {"meta_camp__statut"})
    assert everything.dashboards and everything.queries
    assert not everything.skipped, everything.skipped
    for spec in [*everything.dashboards.values(), *everything.queries.values()]:
        assert tables_used(spec) and tables_used(spec) <= known


def test_a_dashboard_reading_an_absent_table_is_left_out() -> None:
    extras = load_extras({"core_decp__marches", "mart_decp__marches"})
    assert "concurrence-commande-publique" in extras.dashboards
    assert "agenda-mutualise" not in extras.dashboards
    assert extras.skipped["agenda-mutualise.yaml"] == [
        "mart_agenda__evenements",
        "mart_agenda__mots_cles",
    ]


def test_every_duckdb_type_a_meta_table_may_use_reaches_sqlite() -> None:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE meta_x AS SELECT TIMESTAMPTZ '2026-11-27 03:00:00+01' AS tz, "
        "'{\"a\": 1}'::JSON AS j, ['a', 'b'] AS l, {'k': 1} AS s, true AS b, "
        "12.5::DECIMAL(10, 2) AS d, 'abc'::BLOB AS bl, DATE '2026-01-01' AS dt, "
        "NULL::DOUBLE AS n, 42::UBIGINT AS big"
    )
    db = sqlite3.connect(":memory:")
    assert copy_table(con, db, "meta_x") == 1
    row = db.execute("SELECT * FROM meta_x").fetchone()
    assert row == (
        "2026-11-27T02:00:00Z",
        '{"a": 1}',
        '["a","b"]',
        '{"k":1}',
        1,
        12.5,
        "abc",
        "2026-01-01",
        None,
        42.0,
    )


def test_each_facet_leads_an_index_holding_the_other_facets_and_dates() -> None:
    plan = TablePlan(
        name="t",
        layer="core",
        title="t",
        description="",
        facets=("a", "b"),
        filters=("a", "x", "d"),
        ranges=("d",),
    )
    assert plan.indexes == (("a", "b", "d"), ("b", "a", "d"), ("x",), ("d",))


def test_create_indexes_skips_absent_columns_and_row_led_indexes() -> None:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (_row INTEGER PRIMARY KEY, a TEXT, b INTEGER)")
    made = create_indexes(db, "t", ["a", ("b", "gone", "a"), ("gone", "a"), ("_row", "a")])
    assert made == ["idx_t__a", "idx_t__b__a"]
    columns = [r[2] for r in db.execute('PRAGMA index_info("idx_t__b__a")')]
    assert columns == ["b", "a"]


# The SQL Datasette 0.65 runs for `?acheteur_departement_code=…&dateNotification__gte=…&_facet=…`
FILTERED = (
    'select * from core_decp__marches where "acheteur_departement_code" = :p0 '
    'and "dateNotification" >= :p1'
)


@pytest.mark.parametrize("facet", ["procedure", "offresRecues"])
def test_filtered_facets_are_counted_from_an_index_alone(published, warehouse, facet) -> None:
    _, snapshot = published
    db = sqlite3.connect(snapshot.path)
    sql = (
        f"select {facet} as value, count(*) as count from ({FILTERED}) "
        f"where {facet} is not null group by {facet} order by count desc, value limit 31"
    )
    dep, since = duck(
        warehouse,
        "SELECT acheteur_departement_code, quantile_disc(dateNotification, 0.5)::VARCHAR "
        "FROM core_decp__marches GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0]
    params = {"p0": dep, "p1": since}
    plan = " ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {sql}", params))
    assert "COVERING INDEX idx_core_decp__marches__acheteur_departement_code__" in plan
    got = sorted(db.execute(sql, params).fetchall(), key=repr)
    expected = duck(
        warehouse,
        f"SELECT {facet}, count(*) FROM core_decp__marches WHERE acheteur_departement_code = ? "
        f"AND dateNotification >= ?::DATE AND {facet} IS NOT NULL GROUP BY 1",
        [dep, since],
    )
    assert got == sorted(expected, key=repr) and sum(n for _, n in got) > 1
    count_sql = f"select count(*) from ({FILTERED})"
    count_plan = " ".join(r[3] for r in db.execute(f"EXPLAIN QUERY PLAN {count_sql}", params))
    assert "COVERING INDEX" in count_plan


class FailingCursor:
    """A DuckDB cursor stand-in whose second batch fails."""

    def __init__(self) -> None:
        self.calls, self.closed = 0, False

    def fetchmany(self, size: int) -> list[tuple]:
        self.calls += 1
        if self.calls > 1:
            raise RuntimeError("lecture interrompue")
        return [(1,)]

    def close(self) -> None:
        self.closed = True


def test_a_failed_fetch_reaches_the_copy_and_closes_the_cursor() -> None:
    cursor = FailingCursor()
    batches = _prefetched(cursor)
    assert next(batches) == [(1,)]
    with pytest.raises(RuntimeError, match="lecture interrompue"):
        next(batches)
    assert cursor.closed


def test_prefetched_batches_arrive_whole_and_in_order() -> None:
    con = duckdb.connect()
    cursor = con.cursor()
    cursor.execute("SELECT range AS i FROM range(120001)")
    rows = [row for batch in _prefetched(cursor) for row in batch]
    assert rows == [(i,) for i in range(120001)]


def test_the_attribution_is_in_the_datasette_metadata(validated, catalogue) -> None:
    """ODbL asks every derived database to credit its source: the table page and the database
    page both say it, in French, with the licence."""
    datasets, _ = catalogue
    star = next(d for d in datasets if d.name == "gtfs_star")
    metadata = json.loads((validated.folder / "metadata.json").read_text())
    database = metadata["databases"]["camp"]
    table = database["tables"]["core_gtfs_star__arrets"]
    assert f"Attribution : {star.attribution}" in html.unescape(table["description_html"])
    assert table["license"] == star.licenses[0]["title"]
    assert table["source"]
    assert star.attribution in html.unescape(database["description_html"])
    decp = database["tables"]["core_decp__marches"]
    assert "Attribution" not in decp["description_html"]  # etalab-2.0 asks for none here


def test_a_mart_is_published_with_its_typed_fields(published, catalogue) -> None:
    _, marts = catalogue
    _, snapshot = published
    package = json.loads((snapshot.folder / "downloads" / "datapackage.json").read_text())
    by_name = {r["path"].removesuffix(".csv"): r for r in package["resources"]}
    mart = next(m for m in marts if m.table == "mart_decp__marches")
    fields = {f["name"]: f for f in by_name[mart.table]["schema"]["fields"]}
    for spec in mart.fields:
        assert fields[spec["name"]]["type"] == spec["type"]
        assert fields[spec["name"]]["description"] == spec["description"]
