"""Explained status: the French sentence says why a dataset is missing, blocked or stale."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from pipelines.catalog.model import Dataset, Resource
from pipelines.ops import journal
from pipelines.ops.status import (
    BLOCKED,
    FAILED,
    FRESH,
    NEVER,
    STALE,
    STATUS_TABLE,
    dataset_status,
    schema_drift,
    write_meta_tables,
)

# This year, so that French dates carry no year (`3 mars`); 10 March is before the DST switch.
YEAR = datetime.now(UTC).year
NOW = datetime(YEAR, 3, 10, 12, 0, tzinfo=UTC)


def make_dataset(max_age: float | None = 48, schedule: str | None = "0 6 * * *") -> Dataset:
    resource = Resource(
        dataset="marches",
        name="liste",
        title="Liste",
        description="Liste des marchés.",
        sample_path=Path("marches.csv"),
        format="csv",
        schema={
            "fields": [{"name": "uid", "type": "string"}, {"name": "montant", "type": "number"}]
        },
        online_url="https://example.org/marches.csv",
        max_invalid_share=0.5,
    )
    return Dataset(
        name="marches",
        title="Marchés",
        description="d",
        licenses=(),
        sources=(),
        resources=(resource,),
        descriptor_path=Path("catalog/marches.yaml"),
        schedule=schedule,
        max_age_hours=max_age,
    )


def ev(step: str, at: datetime, **fields) -> dict:
    return {
        "at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "step": step,
        "dataset": "marches",
        "resource": "liste",
        **fields,
    }


def ok_fetch(at: datetime, **fields) -> dict:
    base = {"outcome": "ok", "columns": ["uid", "montant", "_row"], "encoding": "utf-8"}
    return ev(journal.FETCH, at, **{**base, "sha256": "a", **fields})


def published(at: datetime, **fields) -> dict:
    return ev(
        journal.VALIDATE,
        at,
        published=True,
        rows_valid=90,
        rows_quarantined=10,
        invalid_share=0.1,
        **fields,
    )


def test_a_404_since_march_3_is_said_and_the_last_publication_stays():
    events = [
        ok_fetch(NOW - timedelta(days=9)),
        published(NOW - timedelta(days=9)),
        ev(
            journal.FETCH,
            datetime(YEAR, 3, 3, 6, tzinfo=UTC),
            outcome="failed",
            http_status=404,
            error="GET … answered HTTP 404",
        ),
        ev(
            journal.FETCH,
            datetime(YEAR, 3, 9, 6, tzinfo=UTC),
            outcome="failed",
            http_status=404,
            error="GET … answered HTTP 404",
        ),
    ]
    row = dataset_status(make_dataset(), events, NOW)
    assert row["etat"] == FAILED
    assert "La source répond 404 depuis le 3 mars" in row["explication"]
    assert "publication du 1 mars" in row["explication"] and "reste en ligne" in row["explication"]
    assert row["resultat_recuperation"] == "HTTP 404"
    assert row["derniere_publication"] == f"{YEAR}-03-01T12:00:00Z"


def test_unreachable_source_names_the_error_kind():
    events = [
        ev(
            journal.FETCH,
            NOW - timedelta(hours=1),
            outcome="failed",
            http_status=None,
            error="ConnectionError: refused",
        )
    ]
    row = dataset_status(make_dataset(), events, NOW)
    assert row["etat"] == FAILED
    assert "injoignable (ConnectionError)" in row["explication"]
    assert "rien n'a encore été publié" in row["explication"]


def test_renamed_column_and_blocked_publication_are_explained():
    events = [
        ok_fetch(NOW - timedelta(days=2)),
        published(NOW - timedelta(days=2)),
        ok_fetch(NOW - timedelta(hours=1), columns=["uid", "montant_ht", "_row"]),
        ev(journal.VALIDATE, NOW - timedelta(hours=1), published=False, invalid_share=1.0),
    ]
    row = dataset_status(make_dataset(), events, NOW)
    assert row["etat"] == BLOCKED
    assert "100% de lignes invalides, au-delà de la limite de 50%" in row["explication"]
    assert "colonne `montant` renommée en `montant_ht`" in row["explication"]
    assert "reste en ligne" in row["explication"]


def test_encoding_change_is_noticed():
    events = [
        ok_fetch(NOW - timedelta(days=1)),
        ok_fetch(NOW - timedelta(hours=2), encoding="cp1252"),
        published(NOW - timedelta(hours=2)),
    ]
    row = dataset_status(make_dataset(), events, NOW)
    assert row["etat"] == FRESH
    assert "le fichier n'est plus en UTF-8 (cp1252 détecté)" in row["explication"]


def test_stale_when_older_than_max_age_and_fresh_otherwise():
    events = [
        ok_fetch(NOW - timedelta(hours=73), changed=False),
        published(NOW - timedelta(hours=73)),
    ]
    stale = dataset_status(make_dataset(max_age=48), events, NOW)
    assert stale["etat"] == STALE
    assert "vieilles de 73 h, au-delà des 48 h admises" in stale["explication"]
    assert stale["age_heures"] == 73.0
    fresh = dataset_status(make_dataset(max_age=100), events, NOW)
    assert fresh["etat"] == FRESH and "90 lignes valides, 10 en quarantaine" in fresh["explication"]


def test_never_published_and_next_check_is_the_earliest_of_schedule_and_sensor():
    row = dataset_status(make_dataset(schedule="0 6 * * *"), [], NOW)
    assert row["etat"] == NEVER and row["explication"] == "Aucune récupération pour l'instant."
    # 12:00 UTC on 10 March = 13:00 Paris; next 06:00 Paris = 05:00 UTC on 11 March
    assert row["prochaine_verification"] == f"{YEAR}-03-11T05:00:00Z"
    sooner = dataset_status(make_dataset(), [], NOW, sensor_due=NOW + timedelta(hours=2))
    assert sooner["prochaine_verification"] == f"{YEAR}-03-10T14:00:00Z"


def test_schema_drift_without_a_close_name_says_absent():
    resource = make_dataset().resources[0]
    assert schema_drift(resource, ["uid", "total", "_row"]) == [
        "colonne `montant` absente de la source"
    ]
    assert schema_drift(resource, ["uid", "montant"]) == []


def test_meta_tables_are_written_from_the_journal(tmp_path: Path):
    journal.record(
        tmp_path,
        journal.FETCH,
        "marches",
        "liste",
        outcome="failed",
        http_status=503,
        error="HTTP 503",
    )
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        counts = write_meta_tables(con, [make_dataset()], tmp_path, NOW)
        rows = con.execute(
            f"SELECT jeu_de_donnees, etat, explication FROM {STATUS_TABLE}"
        ).fetchall()
    assert counts[STATUS_TABLE] == 1
    assert rows[0][0] == "marches" and rows[0][1] == FAILED
    assert rows[0][2].startswith("La source répond 503 depuis le ")


def test_every_meta_column_is_documented_in_french_for_the_publication(tmp_path: Path):
    from pipelines.ops.quality import HISTORY_TABLE

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        write_meta_tables(con, [make_dataset()], tmp_path, NOW)
        tables = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() WHERE table_name LIKE 'meta_%'"
            ).fetchall()
        )
        columns = con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE table_name LIKE 'meta_%'"
        ).fetchall()
    assert set(tables) == {STATUS_TABLE, HISTORY_TABLE}
    assert tables[STATUS_TABLE].startswith("Statut expliqué des jeux de données.")
    assert tables[HISTORY_TABLE].startswith("Historique de la qualité des données.")
    undocumented = [(t, c) for t, c, comment in columns if not (comment or "").strip()]
    assert columns and undocumented == []


def test_stale_with_an_unchanged_source_says_when_it_was_checked():
    from pipelines.sources.changes import SourceWatch

    last = NOW - timedelta(hours=80)
    events = [ok_fetch(last), published(last)]
    watch = SourceWatch(
        checked_at=(NOW - timedelta(hours=2)).isoformat(),
        changed_at=(last - timedelta(hours=1)).isoformat(),
    )
    row = dataset_status(make_dataset(), events, NOW, watches={"marches/liste": watch})
    assert row["etat"] == STALE
    assert (
        "la source, vérifiée le 10 mars à 11:00, n'a pas changé depuis le 7 mars"
        in (row["explication"])
    )
    unchecked = dataset_status(make_dataset(), events, NOW)
    assert "aucune actualisation réussie depuis" in unchecked["explication"]


def test_a_failed_validation_is_explained():
    events = [
        ok_fetch(NOW - timedelta(hours=1)),
        ev(
            journal.VALIDATE,
            NOW - timedelta(hours=1),
            outcome="failed",
            published=False,
            error="BinderException: colonne manquante",
        ),
    ]
    row = dataset_status(make_dataset(), events, NOW)
    assert row["etat"] == BLOCKED
    assert "a échoué (BinderException: colonne manquante)" in row["explication"]


def test_a_fresh_dataset_of_several_tables_gets_one_sentence():
    dataset = make_dataset()
    second = replace(dataset.resources[0], name="titulaires")
    dataset = replace(dataset, resources=(dataset.resources[0], second))
    at = NOW - timedelta(hours=1)
    events = [
        ok_fetch(at),
        published(at),
        {**ok_fetch(at), "resource": "titulaires"},
        {**published(at), "resource": "titulaires"},
    ]
    row = dataset_status(dataset, events, NOW)
    assert row["etat"] == FRESH
    assert (
        row["explication"]
        == "Publié le 10 mars à 12:00 (2 tables, 180 lignes valides, 20 en quarantaine)."
    )
