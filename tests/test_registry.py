"""Registry checks over the whole catalogue (`load_catalog()`) and every mart: adding a
dataset or a mart puts it under these tests with no list to update.

Samples are read with the real readers and validated with frictionless (the reference).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from frictionless import Resource as FrictionlessResource
from frictionless import Schema

from pipelines.catalog.load import load_catalog, load_marts
from pipelines.catalog.model import Dataset, Mart, Resource
from pipelines.publish.metadata import table_metadata
from pipelines.publish.plan import dataset_tables, mart_table
from pipelines.read import read_resource

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
DATASETS: list[Dataset] = load_catalog(CATALOG)
MARTS: list[Mart] = load_marts(CATALOG)
RESOURCES: list[Resource] = [r for d in DATASETS for r in d.resources]

# Synonyms that must not be column names: the catalogue says each concept one way.
SYNONYMS = {"insee", "code_commune", "postal_code", "cp", "name", "lat", "lon", "lng", "Xlong",
            "Ylat", "num_siret", "commune_insee", "codeinsee", "code_insee_commune"}  # fmt: skip
FRENCH_IDENTIFIERS = ("code_insee", "siret", "siren", "code_postal")
# Known departures from "same name, same meaning", each with its reason; an entry no longer
# needed fails the test, so the list can only shrink.
NOT_CHECKED_YET = {
    # OpenAgenda gives the place's INSEE code and postcode as the organiser typed them;
    # checking them would quarantine whole events for one typo (to decide: issue 18).
    "core_agenda_caen_bibliotheques__evenements.code_insee",
    "core_agenda_caen_bibliotheques__lieux.code_insee",
    "core_agenda_caen_bibliotheques__lieux.code_postal",
    "core_agenda_centre_tcheque__evenements.code_insee",
    "core_agenda_centre_tcheque__lieux.code_insee",
    "core_agenda_centre_tcheque__lieux.code_postal",
    "core_agenda_relais__evenements.code_insee",
    "core_agenda_relais__lieux.code_insee",
    "core_agenda_relais__lieux.code_postal",
    # BODACC's SIREN of the registered company: not yet checked by the key (to add with a
    # regression sample).
    "core_bodacc__annonces.siren",
    # DECP holders' identifiers: a 14-digit pattern only (foreign and La Poste identifiers).
    "core_decp_json__titulaires.siret",
}
TYPE_EXCEPTIONS = {
    # a survey date (voirie) and a timestamped survey (parking places): to rename one of them
    "date_releve",
}


def _options(resource: Resource) -> dict:
    return {"format": resource.format, **resource.read_options}


def invalid_rows(resource: Resource, tmp_path: Path) -> tuple[int, int]:
    """(rows, rows with an error) of the sample, by frictionless."""
    result = read_resource(resource.sample_path, _options(resource))
    path = tmp_path / f"{resource.table('core')}.csv"
    result.frame.select(resource.field_names).write_csv(path)
    checked = FrictionlessResource(
        path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(resource.schema)
    )
    bad = {row for (row,) in checked.validate().flatten(["rowNumber"]) if row}
    return result.frame.height, len(bad)


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.table("core"))
def test_every_sample_reads_to_exactly_the_schema_columns(resource: Resource) -> None:
    result = read_resource(resource.sample_path, _options(resource))
    columns = [c for c in result.frame.columns if not c.startswith("_")]
    assert sorted(columns) == sorted(resource.field_names)
    assert result.frame.height > 0


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.table("core"))
def test_every_sample_passes_its_own_publication_rule(resource: Resource, tmp_path) -> None:
    """Samples may carry invalid rows on purpose (to show quarantine), but never so many that
    the descriptor's `publish.max_invalid_share` would block their publication."""
    rows, bad = invalid_rows(resource, tmp_path)
    assert bad < rows
    assert bad / rows <= resource.max_invalid_share, (resource.table("core"), bad, rows)


def _all_fields() -> list[tuple[str, dict]]:
    fields = [(r.table("core"), f) for r in RESOURCES for f in r.schema["fields"]]
    return fields + [(m.table, f) for m in MARTS for f in m.fields]


@pytest.mark.parametrize("table", sorted({t for t, _ in _all_fields()}), ids=lambda t: t)
def test_every_field_is_documented_in_french(table: str) -> None:
    for _, spec in (x for x in _all_fields() if x[0] == table):
        text = str(spec.get("description") or "").strip()
        assert text and text != spec["name"], f"{table}.{spec['name']}: no French description"
        # a description is a sentence for a participant, not an English placeholder
        assert not text.lower().startswith(("the ", "todo", "tbd")), f"{table}.{spec['name']}"


@pytest.mark.parametrize("resource", RESOURCES, ids=lambda r: r.table("core"))
def test_shared_concepts_have_one_name(resource: Resource) -> None:
    assert not set(resource.field_names) & SYNONYMS
    checks = {f["name"]: f.get("x-camp-check") for f in resource.schema["fields"]}
    for name in FRENCH_IDENTIFIERS:
        where = f"{resource.table('core')}.{name}"
        if name in checks and where not in NOT_CHECKED_YET:
            assert checks[name] == name, f"{where} needs `x-camp-check: {name}`"
    if resource.map_columns:  # every located table publishes WGS84 latitude / longitude
        assert resource.map_columns == {"latitude": "latitude", "longitude": "longitude"}


def test_the_list_of_unchecked_identifiers_only_shrinks() -> None:
    present = {
        f"{r.table('core')}.{f['name']}": f.get("x-camp-check")
        for r in RESOURCES
        for f in r.schema["fields"]
    }
    stale = sorted(w for w in NOT_CHECKED_YET if w not in present or present[w])
    assert not stale, f"checked now (or gone): remove from NOT_CHECKED_YET: {stale}"


def test_the_same_column_name_has_one_type_across_datasets() -> None:
    types: dict[str, set[str]] = defaultdict(set)
    for resource in RESOURCES:
        for spec in resource.schema["fields"]:
            types[spec["name"]].add(spec["type"])
    clashes = {n: sorted(t) for n, t in types.items() if len(t) > 1}
    assert set(clashes) == TYPE_EXCEPTIONS, clashes


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_datasets_credit_their_sources(dataset: Dataset) -> None:
    assert dataset.licenses and all(s["path"].startswith("http") for s in dataset.sources)
    if any(lic["name"].startswith("ODbL") for lic in dataset.licenses):
        assert dataset.attribution and "ODbL" in dataset.attribution


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d.attribution], ids=lambda d: d.name)
def test_attribution_is_published_with_every_table_of_the_dataset(dataset: Dataset) -> None:
    plans = dataset_tables(dataset)
    tables = {p.name: 3 for p in plans}
    for plan in plans:
        meta = table_metadata(plan, tables, "2026-01-01T00:00:00+00:00")
        assert dataset.attribution in meta["description_html"].replace("&#x27;", "'")
        assert meta["license"]


def test_a_mart_carries_the_attribution_of_the_datasets_it_reads() -> None:
    star = next(d for d in DATASETS if d.name == "gtfs_star")
    readers = [m for m in MARTS if star.resources[0].table("core") in m.depends_on]
    assert readers, "no mart reads the STAR stops"
    for mart in readers:
        plan = mart_table(mart, DATASETS)
        assert star.attribution in plan.attributions
        meta = table_metadata(plan, {plan.name: 1}, "2026-01-01T00:00:00+00:00")
        assert "ODbL" in meta["description_html"]
    others = [m for m in MARTS if not any("gtfs_star" in t for t in m.depends_on)]
    assert all(star.attribution not in mart_table(m, DATASETS).attributions for m in others)


@pytest.fixture(scope="module")
def built_marts() -> dict[str, dict[str, str]]:
    """Every mart built by its own SQL over the samples as the validator types them:
    mart -> {column: Table Schema type of the DuckDB column}."""
    import duckdb

    from pipelines.publish.downloads import frictionless_type
    from pipelines.validate import validate_table

    con = duckdb.connect()
    for resource in RESOURCES:
        frame = read_resource(resource.sample_path, _options(resource)).frame  # noqa: F841
        con.execute("CREATE OR REPLACE TABLE raw_source AS SELECT * FROM frame")
        validate_table(
            con, "raw_source", resource.schema, valid=resource.table("core"),
            quarantine=resource.table("quarantine"), errors=resource.table("errors"),
            french_checks=False,
        )  # fmt: skip
    built: dict[str, dict[str, str]] = {}
    pending = list(MARTS)
    while pending:  # a mart may read another mart: build in dependency order
        ready = [
            m for m in pending if all(d in built or d.startswith("core_") for d in m.depends_on)
        ]
        assert ready, f"marts waiting on each other: {[m.name for m in pending]}"
        for mart in ready:
            con.execute(f'CREATE TABLE "{mart.table}" AS {mart.sql}')
            built[mart.table] = {
                name: frictionless_type(sql_type)
                for name, sql_type in con.execute(
                    "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = ? "
                    "ORDER BY column_index",
                    [mart.table],
                ).fetchall()
            }
            pending.remove(mart)
    return built


@pytest.mark.parametrize("mart", MARTS, ids=lambda m: m.table)
def test_every_mart_declares_the_columns_and_types_its_sql_builds(mart: Mart, built_marts) -> None:
    declared = {f["name"]: f["type"] for f in mart.fields}
    assert declared == built_marts[mart.table]
