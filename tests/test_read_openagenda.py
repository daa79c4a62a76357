"""OpenAgenda reader: export arrays and API envelopes, French values, occurrences, contacts."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest
from frictionless import Resource, Schema

from pipelines.catalog.load import load_dataset
from pipelines.read import ReadError, read_resource
from pipelines.read.multilingual import mask_contacts, pick

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "agenda"
TCHEQUE = ROOT / "datasets" / "agenda_centre_tcheque" / "centre-tcheque-paris.events.json"
CAEN = ROOT / "datasets" / "agenda_caen_bibliotheques" / "caen-bibliotheques.api-v2-response.json"
AGENDAS = sorted(CATALOG.stem for CATALOG in (ROOT / "catalog").glob("agenda_*.yaml"))


def read(path: Path, table: str, **options: object) -> pl.DataFrame:
    options = {"format": "openagenda", "table": table, "source": "essai", **options}
    return read_resource(path, options).frame


def test_pick_french_then_order_then_alphabetical() -> None:
    assert pick({"en": "A", "fr": "B"}) == ("B", "fr")
    assert pick({"de": "C", "en": "A"}) == ("A", "en")
    assert pick({"it": "D", "de": "C"}) == ("C", "de")
    assert pick({"code": "FR", "es": "Francia"}) == ("Francia", "es")  # `code` is no language
    assert pick({"fr": "", "en": "E"}) == ("E", "en")
    assert pick({}) == (None, None)
    assert pick("déjà du texte") == ("déjà du texte", None)


def test_fallback_language_is_recorded_on_the_row() -> None:
    frame = read(FIXTURES / "multilingue-repli.json", "evenements")
    first, second = frame.row(0, named=True), frame.row(1, named=True)
    assert first["titre"] == "Un titre" and first["description"] == "We make a thing"
    assert first["mots_cles"] == "Musik"
    assert first["langues_repli"] == "description:en, mots_cles:de"
    assert second["titre"] == "Lesung" and second["langues_repli"] == "titre:de"
    assert second["description"] is None


def test_mask_contacts_in_text() -> None:
    text, count = mask_contacts("Écrire à jean.dupont+x@exemple.fr ou au 06 12 34 56 78.")
    assert text == "Écrire à [courriel masqué] ou au [téléphone masqué]."
    assert count == 2
    assert mask_contacts("Salle 2018, 75 006 Paris, 18 rue Bonaparte") == (
        "Salle 2018, 75 006 Paris, 18 rue Bonaparte",
        0,
    )


def test_contacts_masked_markdown_kept_timings_across_dst() -> None:
    path = FIXTURES / "contacts-a-masquer-changement-heure.json"
    event = read(path, "evenements").row(0, named=True)
    assert "@" not in event["description_longue"] and "45 67" not in event["description_longue"]
    assert event["description_longue"].startswith("**Atelier** d'écriture.")
    assert "*   Entrée libre" in event["description_longue"]
    assert event["inscription"] == (
        "[courriel masqué] ; [téléphone masqué] ; https://example.org/reserver"
    )
    assert event["contacts_masques"] == "5"
    masked = read(path, "evenements", mask_contacts=False).row(0, named=True)
    assert "jeanne.exemple@example.org" in masked["description_longue"]
    timings = read(path, "occurrences")
    assert timings["debut"].to_list() == ["2022-03-26T14:00:00+01:00", "2022-03-27T14:00:00+02:00"]
    assert timings["origine_horaire"].unique().to_list() == ["timings"]
    assert event["nb_occurrences"] == "2" and event["occurrences_completes"] == "true"


def test_export_occurrences_one_row_per_timing_in_time_order() -> None:
    source = json.loads(TCHEQUE.read_text())
    frame = read(TCHEQUE, "occurrences")
    assert frame.height == sum(len(e["timings"]) for e in source)
    biggest = max(source, key=lambda e: len(e["timings"]))
    mine = frame.filter(pl.col("evenement_uid") == str(biggest["uid"]))
    starts = [datetime.fromisoformat(v) for v in mine["debut"]]
    assert starts == sorted(datetime.fromisoformat(t["begin"]) for t in biggest["timings"])
    assert mine["rang"].to_list() == [str(i) for i in range(1, len(starts) + 1)]
    events = read(TCHEQUE, "evenements", agenda_slug="centre-tcheque")
    row = events.filter(pl.col("evenement_uid") == str(biggest["uid"])).row(0, named=True)
    assert row["date_debut"] == mine["debut"][0]
    assert row["url"] == f"https://openagenda.com/centre-tcheque/events/{biggest['slug']}"
    assert events["titre"].null_count() == 0


def test_api_envelope_with_partial_timings_and_places_without_uid() -> None:
    source = json.loads(CAEN.read_text())["events"]
    events = read(CAEN, "evenements")
    assert events.height == len(source)
    assert events["occurrences_completes"].unique().to_list() == ["false"]
    assert events["nb_occurrences"].null_count() == events.height
    timings = read(CAEN, "occurrences")
    visit = source[1]  # two different timings: nextTiming 11:00 and lastTiming 15:00
    mine = timings.filter(pl.col("evenement_uid") == str(visit["uid"]))
    assert mine["debut"].to_list() == [visit["nextTiming"]["begin"], visit["lastTiming"]["begin"]]
    assert mine["origine_horaire"].to_list() == ["nextTiming", "lastTiming"]
    once = source[0]  # nextTiming == lastTiming: one occurrence
    assert timings.filter(pl.col("evenement_uid") == str(once["uid"])).height == 1
    places = read(CAEN, "lieux")
    assert places.height == 1
    place = places.row(0, named=True)
    assert place["lieu_uid"] is None and place["lieu_id"].startswith("h")
    assert (place["code_postal"], place["commune"]) == ("14000", "Caen")  # from the address
    assert events["lieu_id"].unique().to_list() == [place["lieu_id"]]
    assert events["langues_repli"].null_count() == events.height  # French found everywhere


def test_keywords_one_row_each() -> None:
    source = json.loads(TCHEQUE.read_text())
    frame = read(TCHEQUE, "mots_cles")
    assert frame.height == sum(len((e["keywords"] or {}).get("fr", [])) for e in source)


@pytest.mark.parametrize("dataset", AGENDAS)
def test_samples_valid_against_the_descriptor_and_free_of_contacts(
    dataset: str, tmp_path: Path
) -> None:
    for spec in load_dataset(ROOT / "catalog" / f"{dataset}.yaml", root=ROOT).resources:
        frame = read_resource(spec.sample_path, {"format": spec.format, **spec.read_options}).frame
        assert frame.columns == spec.field_names + ["_row"]
        assert frame.height > 0
        assert frame["source"].unique().to_list() == [dataset]
        path = tmp_path / f"{spec.name}.csv"
        frame.drop("_row").write_csv(path)
        schema = Schema.from_descriptor(spec.schema)
        report = Resource(path=path.name, basepath=str(tmp_path), schema=schema).validate()
        assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])[:5]
        assert "@" not in spec.sample_path.read_text()


def test_errors_name_the_file_and_what_was_found() -> None:
    with pytest.raises(ReadError, match=r"pas-un-export-openagenda\.json, line 1: .*an object"):
        read(FIXTURES / "pas-un-export-openagenda.json", "evenements")
    with pytest.raises(ReadError, match=r"`read.source`"):
        read_resource(TCHEQUE, {"format": "openagenda", "table": "evenements"})
    with pytest.raises(ReadError, match=r"`read.table` must be one of"):
        read(TCHEQUE, "organisateurs")
