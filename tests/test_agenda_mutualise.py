"""The mutualised agenda mart: every source in one table, an event published twice kept once.

Core tables are built in a fresh in-memory DuckDB from the readers' output, typed from each
resource's Table Schema, then the mart's SQL runs on them as the pipeline would.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.catalog.load import load_dataset, load_mart
from pipelines.read import read_resource

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
FIXTURES = ROOT / "tests" / "fixtures" / "agenda"
MART = load_mart(CATALOG / "marts" / "agenda__evenements.yaml")
SOURCES = ("agenda_caen_bibliotheques", "agenda_centre_tcheque", "agenda_relais")
REFERENTIAL = "communes"  # COG and La Poste, to derive the INSEE code
DUCKDB_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "datetime": "TIMESTAMPTZ",
    "date": "DATE",
}


def load_core(con: duckdb.DuckDBPyConnection, dataset: str, path: Path | None = None) -> None:
    """Create the dataset's core tables, typed from the schema, from its sample or `path`."""
    for resource in load_dataset(CATALOG / f"{dataset}.yaml", root=ROOT).resources:
        options = {"format": resource.format, **resource.read_options}
        frame = read_resource(path or resource.sample_path, options).frame
        casts = ", ".join(
            f'CAST("{f["name"]}" AS {DUCKDB_TYPES[f["type"]]}) AS "{f["name"]}"'
            for f in resource.schema["fields"]
        )
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {resource.table('core')} AS SELECT {casts}, _row FROM incoming")
        con.unregister("incoming")


def run_mart(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return con.sql(MART.sql).pl()


@pytest.fixture
def samples() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for dataset in (*SOURCES, REFERENTIAL):
        load_core(con, dataset)
    yield con
    con.close()


def test_mart_reads_exactly_the_declared_core_tables(samples: duckdb.DuckDBPyConnection) -> None:
    tables = {row[0] for row in samples.execute("SHOW TABLES").fetchall()}
    used = {t for t in tables if t in MART.sql}
    assert used == set(MART.depends_on)
    columns = run_mart(samples).columns
    assert columns == [f["name"] for f in MART.fields]


def test_real_double_publication_is_kept_once_with_both_sources(
    samples: duckdb.DuckDBPyConnection,
) -> None:
    """« Concert de Noël », 10 Dec 2019 20:00, was entered twice in the real export.

    86505211 (place « Centre culturel tchèque de Paris », ends 23:00) is in the Centre
    tchèque sample; 35219051 (place « Centre Tchèque », 78 m away, ends 21:30) is republished
    by the relais sample. Two different place records, two end times: one event.
    """
    mart = run_mart(samples)
    noel = mart.filter(pl.col("publications").str.contains("35219051"))
    assert noel.height == 1
    row = noel.row(0, named=True)
    assert row["sources"] == "agenda_centre_tcheque, agenda_relais"
    assert row["nb_sources"] == 2
    assert row["publications"] == "agenda_centre_tcheque:86505211, agenda_relais:35219051"
    assert row["evenement_id"] == "agenda_centre_tcheque:86505211"
    assert row["lieu_nom"] == "Centre culturel tchèque de Paris"


def test_every_event_once_and_only_the_republished_ones_merged(
    samples: duckdb.DuckDBPyConnection,
) -> None:
    mart = run_mart(samples)
    total = sum(
        samples.execute(f"SELECT count(*) FROM core_{s}__evenements").fetchone()[0] for s in SOURCES
    )
    merged = mart.filter(pl.col("nb_sources") == 2)
    # the relais sample republishes three real events of the Centre tchèque (README)
    assert sorted(merged["publications"].to_list()) == [
        "agenda_centre_tcheque:8296200, agenda_relais:52148845",
        "agenda_centre_tcheque:85795631, agenda_relais:76042510",
        "agenda_centre_tcheque:86505211, agenda_relais:35219051",
    ]
    assert mart.height == total - merged.height
    assert mart["evenement_id"].is_unique().all()
    # within one agenda, same-title events are never merged (« Cortot chez Janáček »)
    cortot = samples.execute(
        "SELECT count(*) FROM core_agenda_centre_tcheque__evenements WHERE titre LIKE 'Cortot%'"
    ).fetchone()[0]
    assert cortot >= 2
    assert mart.filter(pl.col("titre").str.starts_with("Cortot")).height == cortot


def test_duplicate_rule_cases() -> None:
    """Title variants, one shared timing, distance and the INSEE fallback, case by case."""
    con = duckdb.connect()
    load_core(con, "agenda_caen_bibliotheques")
    load_core(con, "agenda_centre_tcheque", FIXTURES / "doublons-agenda-a.json")
    load_core(con, "agenda_relais", FIXTURES / "doublons-agenda-b.json")
    load_core(con, REFERENTIAL)
    mart = run_mart(con)
    groups = {p for p in mart["publications"].to_list() if "agenda_relais" in p and "tcheque" in p}
    assert groups == {
        "agenda_centre_tcheque:101, agenda_relais:201",  # « CONCERT DE NOEL ! », 78 m away
        "agenda_centre_tcheque:102, agenda_relais:202",  # one shared timing, not the first
        "agenda_centre_tcheque:105, agenda_relais:205",  # no coordinates, same INSEE code
    }
    alone = set(mart.filter(pl.col("nb_sources") == 1)["evenement_id"].to_list())
    assert {"agenda_relais:203", "agenda_centre_tcheque:103"} <= alone  # other date
    assert {"agenda_relais:204", "agenda_centre_tcheque:104"} <= alone  # Grenoble vs Paris
    con.close()


def test_occurrences_mart_unites_the_dates_of_merged_publications(
    samples: duckdb.DuckDBPyConnection,
) -> None:
    samples.execute(f"CREATE TABLE {MART.table} AS {MART.sql}")
    dates_mart = load_mart(CATALOG / "marts" / "agenda__occurrences.yaml")
    assert (
        set(dates_mart.depends_on) == {t for t in dates_mart.depends_on if t in dates_mart.sql}
        and MART.table in dates_mart.depends_on
    )
    dates = samples.sql(dates_mart.sql).pl()
    assert dates.columns == [f["name"] for f in dates_mart.fields]
    assert dates.select("evenement_id", "debut").is_duplicated().sum() == 0
    # « Le songe de Paris »: 23 dates in one agenda, 16 in the other, read from the files
    tcheque = ROOT / "datasets" / "agenda_centre_tcheque" / "centre-tcheque-paris.events.json"
    relais = ROOT / "datasets" / "agenda_relais" / "agenda-relais.api-v2-response.json"
    events = json.loads(tcheque.read_text()) + json.loads(relais.read_text())["events"]
    starts = {
        datetime.fromisoformat(t["begin"])
        for e in events
        if e["uid"] in (85795631, 76042510)
        for t in e["timings"]
    }
    songe = dates.filter(pl.col("evenement_id") == "agenda_centre_tcheque:85795631")
    assert songe.height == len(starts)
    both = songe.filter(pl.col("sources_date") == "agenda_centre_tcheque, agenda_relais")
    assert 0 < both.height < songe.height
    assert dates["evenement_id"].n_unique() == run_mart(samples).height


KEYWORDS = load_mart(CATALOG / "marts" / "agenda__mots_cles.yaml")


@pytest.fixture
def to_derive() -> duckdb.DuckDBPyConnection:
    """The relay agenda replaced by events whose INSEE code must be derived, or not."""
    con = duckdb.connect()
    load_core(con, "agenda_caen_bibliotheques")
    load_core(con, "agenda_centre_tcheque")
    load_core(con, "agenda_relais", FIXTURES / "code-insee-et-graphies.json")
    load_core(con, REFERENTIAL)
    con.execute(f"CREATE TABLE {MART.table} AS {MART.sql}")
    yield con
    con.close()


def test_insee_code_derived_from_postcode_then_commune_name(
    to_derive: duckdb.DuckDBPyConnection,
) -> None:
    found = {
        uid.removeprefix("agenda_relais:"): (code, origin)
        for uid, code, origin in to_derive.execute(
            f"SELECT evenement_id, code_insee, origine_code_insee FROM {MART.table} "
            "WHERE evenement_id LIKE 'agenda_relais:%'"
        ).fetchall()
    }
    assert found == {
        "301": ("35238", "code_postal"),  # 35000 serves Rennes only
        "302": ("34079", "code_postal_commune"),  # 34800 serves 17 communes
        "303": ("69123", "code_postal"),  # 69001 is Lyon 1er (69381), brought up to Lyon
        "304": ("14118", "code_postal"),  # 14000 serves only Caen
        "305": ("38185", "commune"),  # no postcode; one commune of France is named so
        "306": (None, None),  # no postcode; several Saint-Denis
        "307": ("2A004", "source"),
        "308": (None, None),  # no commune of 34800 nor of Hérault has that name
    }


def test_commune_label_is_the_official_name_when_the_code_is_known(
    to_derive: duckdb.DuckDBPyConnection,
) -> None:
    labels = dict(
        to_derive.execute(
            f"SELECT evenement_id, commune_libelle FROM {MART.table} "
            "WHERE evenement_id IN ('agenda_relais:304', 'agenda_relais:306')"
        ).fetchall()
    )
    assert labels == {"agenda_relais:304": "Caen", "agenda_relais:306": "Saint-Denis"}


def test_keyword_spellings_are_one_keyword_counted_once_per_event(
    to_derive: duckdb.DuckDBPyConnection,
) -> None:
    """« VISITE COMMENTÉE », « visite commentée » and « Visite   Commentée » are one keyword;
    the misspelt « visite comentée » stays another. « oeuvre » and « OEUVRE » on one event
    count once."""
    rows = to_derive.execute(
        f"SELECT mot_cle_normalise, min(mot_cle), count(*), count(DISTINCT evenement_id) "
        f"FROM ({KEYWORDS.sql}) GROUP BY 1 ORDER BY 1"
    ).fetchall()
    by_key = {key: (label, n, events) for key, label, n, events in rows}
    # three in the fixture, and « VISITE COMMENTÉE » of the Centre tchèque's 60365870
    assert by_key["visite commentee"] == ("VISITE COMMENTÉE", 4, 4)  # the most frequent
    # 304 in the fixture, and the Centre tchèque's 18203090
    assert by_key["visite comentee"] == ("visite comentée", 2, 2)
    # « Œuvre » on 301, « oeuvre » and « OEUVRE » on 302: one row each, the label a tie
    # between « OEUVRE », « oeuvre » and « Œuvre » broken alphabetically
    assert by_key["oeuvre"] == ("OEUVRE", 2, 2)


def test_keywords_mart_reads_exactly_the_declared_tables(
    samples: duckdb.DuckDBPyConnection,
) -> None:
    samples.execute(f"CREATE TABLE {MART.table} AS {MART.sql}")
    tables = {row[0] for row in samples.execute("SHOW TABLES").fetchall()}
    assert {t for t in tables if t in KEYWORDS.sql} == set(KEYWORDS.depends_on)
    assert samples.sql(KEYWORDS.sql).columns == [f["name"] for f in KEYWORDS.fields]
