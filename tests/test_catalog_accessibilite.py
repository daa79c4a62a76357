"""The accessibility datasets and the communes referential: descriptors, samples, marts.

Samples are read with the real readers, validated with frictionless (the reference),
loaded as typed tables into a fresh in-memory DuckDB, and each mart's SQL is run there.
Expected mart values are recomputed from the raw sample files with the csv module,
not taken from the code under test.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path

import duckdb
import pytest
from frictionless import Resource as FrictionlessResource
from frictionless import Schema

from pipelines.catalog.load import load_dataset, load_marts
from pipelines.catalog.model import Resource
from pipelines.read import read_resource

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
DATASETS = ("communes", "acceslibre", "stationnement", "voirie_montpellier", "gtfs_star")
MARTS = [m for m in load_marts(CATALOG) if m.name.startswith("accessibilite__")]
# Documented errors of the samples: (dataset, resource) -> {(row, field, error type)}
KNOWN_ERRORS = {
    ("stationnement", "parkings"): {
        (4, "id", "constraint-error"),
        (4, "tarif_pmr", "constraint-error"),
    },
}
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "date": "DATE",
    "datetime": "TIMESTAMP",
}
TRUE = ("true", "1", "oui", "vrai")
FALSE = ("false", "0", "non", "faux")


def resources() -> list[Resource]:
    return [r for name in DATASETS for r in load_dataset(CATALOG / f"{name}.yaml").resources]


def frictionless_errors(resource: Resource, tmp_path: Path) -> set[tuple[int, str, str]]:
    result = read_resource(
        resource.sample_path, {"format": resource.format, **resource.read_options}
    )
    path = tmp_path / f"{resource.table('core')}.csv"
    result.frame.select(resource.field_names).write_csv(path)
    checked = FrictionlessResource(
        path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(resource.schema)
    )
    report = checked.validate()
    return {tuple(e) for e in report.flatten(["rowNumber", "fieldName", "type"])}


# the referentials ship whole: every dataset's INSEE codes and postcodes are read against them
REFERENTIAL_LIMITS = {
    "core_communes__communes": (40_000, 3_000_000),
    "core_communes__codes_postaux": (40_000, 3_000_000),
}


@pytest.mark.parametrize("resource", resources(), ids=lambda r: r.table("core"))
def test_sample_reads_to_exactly_the_schema_columns(resource: Resource) -> None:
    result = read_resource(
        resource.sample_path, {"format": resource.format, **resource.read_options}
    )
    columns = [c for c in result.frame.columns if not c.startswith("_")]
    assert sorted(columns) == sorted(resource.field_names)
    # samples stay small; the commune referential ships whole, since every dataset's INSEE
    # codes are checked against it
    rows, size = REFERENTIAL_LIMITS.get(resource.table("core"), (5000, 2_000_000))
    assert 0 < result.frame.height <= rows
    assert resource.sample_path.stat().st_size < size


@pytest.mark.parametrize("resource", resources(), ids=lambda r: r.table("core"))
def test_sample_validates_except_documented_errors(resource: Resource, tmp_path: Path) -> None:
    expected = KNOWN_ERRORS.get((resource.dataset, resource.name), set())
    assert frictionless_errors(resource, tmp_path) == expected


def _typed(field: dict) -> str:
    column = '"' + field["name"] + '"'
    if field["type"] == "boolean":
        return (
            f"CASE WHEN lower({column}) IN {TRUE} THEN true "
            f"WHEN lower({column}) IN {FALSE} THEN false END AS {column}"
        )
    if field["type"] in DUCKDB_TYPES:
        return f"try_cast({column} AS {DUCKDB_TYPES[field['type']]}) AS {column}"
    return column


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    """Core tables as the pipeline would promote them: typed, invalid rows left out."""
    con = duckdb.connect(":memory:")
    for resource in resources():
        errors = frictionless_errors(resource, tmp_path_factory.mktemp(resource.name))
        invalid = sorted({row for row, _, _ in errors})
        result = read_resource(
            resource.sample_path, {"format": resource.format, **resource.read_options}
        )
        frame = result.frame.filter(~result.frame["_row"].is_in(invalid))
        path = tmp_path_factory.mktemp("core") / "valid.csv"
        frame.select(resource.field_names).write_csv(path)  # text in, typed below
        columns = ", ".join(_typed(f) for f in resource.schema["fields"])
        source = f"read_csv('{path}', all_varchar = true, header = true)"
        con.execute(f"CREATE TABLE {resource.table('core')} AS SELECT {columns} FROM {source}")
    return con


@pytest.mark.parametrize("mart", MARTS, ids=lambda m: m.table)
def test_mart_runs_and_returns_its_documented_columns(mart, warehouse) -> None:
    tables = {
        row[0] for row in warehouse.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    }
    assert set(mart.depends_on) <= tables
    relation = warehouse.sql(mart.sql)
    assert relation.columns == [f["name"] for f in mart.fields]
    assert warehouse.execute(f"SELECT count(*) FROM ({mart.sql})").fetchall()[0][0] > 0


def _mart(warehouse, name: str) -> list[dict]:
    mart = next(m for m in MARTS if m.name == name)
    relation = warehouse.sql(mart.sql)
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def test_reserved_parking_per_commune(warehouse) -> None:
    raw = (ROOT / "datasets/stationnement/montpellier-places-reservees-2010.csv").read_bytes()
    gig_gic = sum(1 for line in raw.splitlines() if b'"GIG/GIC"' in line)
    parkings = list(csv.DictReader(io.StringIO(
        (ROOT / "datasets/stationnement/parkings-exemples-officiels-0.1.5.csv").read_text()
    )))  # fmt: skip
    valid = [p for p in parkings if p["id"].startswith(p["insee"])]  # the invalid row is "P-001"
    rows = {
        r["code_insee"]: r for r in _mart(warehouse, "accessibilite__stationnement_pmr_par_commune")
    }
    montpellier = rows["34172"]
    assert gig_gic == 150
    assert montpellier["places_pmr_voirie"] == gig_gic and montpellier["nom"] == "Montpellier"
    assert montpellier["parkings"] == 0 and montpellier["code_departement"] == "34"
    assert 43.5 < montpellier["latitude"] < 43.7
    # the sample's car parks are the national schema's fictitious examples: never counted
    assert valid and all(p["url"].startswith("https://www.exemple.fr/") for p in valid)
    assert not {p["insee"] for p in valid} & set(rows)
    assert sum(r["places_pmr_total"] for r in rows.values()) == gig_gic


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def test_step_free_stop_share(warehouse) -> None:
    feed = zipfile.ZipFile(ROOT / "datasets/gtfs_star/star-gtfs-echantillon-synthetique.zip")
    stops = list(csv.DictReader(io.StringIO(feed.read("stops.txt").decode())))
    extension = {
        row["stop_id"]: row["stop_accessible"]
        for row in csv.DictReader(io.StringIO(feed.read("stops_extensions.txt").decode()))
    }
    expected: dict[str, Counter] = {}
    for stop in stops:
        value = extension.get(stop["stop_id"])
        kind = {"1": "yes", "0": "no"}.get(value or "", "unknown")
        expected.setdefault(stop["stop_desc"], Counter())[kind] += 1
    rows = {
        r["commune_source"]: r
        for r in _mart(warehouse, "accessibilite__arrets_plain_pied_par_commune")
    }
    assert set(rows) == set(expected)
    for commune, counts in expected.items():
        row = rows[commune]
        assert row["arrets_plain_pied"] == counts["yes"]
        assert row["arrets_non_accessibles"] == counts["no"]
        assert row["arrets_sans_information"] == counts["unknown"]
        assert row["part_plain_pied"] == pytest.approx(
            counts["yes"] / (counts["yes"] + counts["no"]), abs=1e-4
        )
        assert row["code_insee"] is not None and _fold(row["nom"]) == _fold(commune)
    assert rows["Rennes"]["code_insee"] == "35238"


def test_erp_get_a_commune_from_their_postcode(warehouse) -> None:
    sample = ROOT / "datasets/acceslibre/erp-lyon-2020-et-exemple-schema-0.0.20.csv"
    raw = list(csv.DictReader(sample.open(encoding="utf-8")))
    without_code = {r["id"] for r in raw if not r["code_insee"]}
    postes = list(
        csv.DictReader(
            (ROOT / "datasets/communes/laposte-codes-postaux-2022.csv").open(),
            delimiter=";",
        )
    )
    by_postcode: dict[str, set[str]] = {}
    for row in postes:
        by_postcode.setdefault(row["Code_postal"], set()).add(row["Code_commune_INSEE"])
    rows = {r["id"]: r for r in _mart(warehouse, "accessibilite__erp_localises")}
    assert len(rows) == len(raw) and without_code
    for erp_id in without_code:
        row = rows[erp_id]
        communes = by_postcode.get(row["code_postal"], set())
        if len(communes) == 1:
            assert (row["code_insee"], row["origine_code_insee"]) == (min(communes), "code_postal")
        else:
            assert row["code_insee"] is None and row["origine_code_insee"] is None
    assert all(rows[r["id"]]["origine_code_insee"] == "source" for r in raw if r["code_insee"])
