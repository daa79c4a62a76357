"""`camp scaffold`: a descriptor inferred from a real file loads and validates that file."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from frictionless import Resource as FrictionlessResource
from frictionless import Schema

from pipelines.catalog.load import load_dataset
from pipelines.cli.scaffold import dataset_name, guess_field, luhn, scaffold
from pipelines.read import read_resource

FIXTURES = Path(__file__).parent / "fixtures" / "officer"
MONTPELLIER = FIXTURES / "montpellier-places-reservees-latin1.csv"
ACCESLIBRE = FIXTURES / "acceslibre-erp-siret-insee-postal.csv"


def frictionless_errors(resource, tmp_path: Path) -> list[str]:
    """Validate the rows as the pipeline reads them against the inferred schema, with
    frictionless as the reference."""
    frame = read_resource(
        resource.sample_path, {"format": resource.format, **resource.read_options}
    ).frame
    path = tmp_path / "as-read.csv"
    frame.select(resource.field_names).write_csv(path)
    table = FrictionlessResource(
        path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(resource.schema)
    )
    result = table.validate()
    return [e.message for task in result.tasks for e in task.errors]


def test_real_latin1_file_gives_a_descriptor_that_loads_and_validates(tmp_path: Path):
    out = scaffold(str(MONTPELLIER), tmp_path, name="places")
    assert out == tmp_path / "catalog" / "places.yaml"
    dataset = load_dataset(out)
    resource = dataset.resources[0]
    assert resource.sample_path.read_bytes() == MONTPELLIER.read_bytes()
    assert resource.read_options["encoding"] in ("cp1252", "latin-1")
    assert resource.read_options["coordinates"]["x"] == "F03_COORDONNEES_X"
    types = {f["name"]: f["type"] for f in resource.schema["fields"]}
    assert types["FID_"] == "integer" and types["F00_DATE_S"] == "datetime"
    assert types["latitude"] == types["longitude"] == "number"
    assert resource.map_columns == {"latitude": "latitude", "longitude": "longitude"}
    assert resource.schema["primaryKey"] == ["FID_"] and resource.key_fields == ("FID_",)
    assert "F01_TYPE_D" in resource.facets
    assert "# détecté : date et heure ISO 8601" in out.read_text(encoding="utf-8")
    assert frictionless_errors(resource, tmp_path) == []


def test_french_identifiers_are_recognised(tmp_path: Path):
    resource = load_dataset(scaffold(str(ACCESLIBRE), tmp_path)).resources[0]
    fields = {f["name"]: f for f in resource.schema["fields"]}
    assert fields["siret"]["x-camp-check"] == "siret"
    assert fields["code_insee"]["x-camp-check"] == "code_insee"
    assert fields["postal_code"]["x-camp-check"] == "code_postal"
    assert fields["transport_station_presence"]["type"] == "boolean"
    assert fields["name"]["type"] == "string"
    assert frictionless_errors(resource, tmp_path) == []


def test_existing_descriptor_is_not_overwritten(tmp_path: Path):
    scaffold(str(ACCESLIBRE), tmp_path, name="erp")
    with pytest.raises(FileExistsError, match="--force"):
        scaffold(str(ACCESLIBRE), tmp_path, name="erp")
    assert scaffold(str(ACCESLIBRE), tmp_path, name="erp", force=True).is_file()


@pytest.mark.parametrize(
    ("name", "values", "expected_type", "check"),
    [
        ("siret", ["88138151100016", "77925023200039"], "string", "siret"),
        ("siret", ["88138151100017", "77925023200030"], "integer", None),  # bad Luhn keys
        ("dep", ["2A004", "2B033", "20004"], "string", None),  # 20: no longer a department
        ("dep", ["2A004", "2B033", "97411"], "string", "code_insee"),
        ("code", ["01000", "02100"], "string", None),  # leading zero: a code, not a number
        ("cp", ["69001", "75012"], "string", "code_postal"),
        ("montant", ["10.5", "3"], "number", None),
        ("date", ["2024-01-31", "2023-12-01"], "date", None),
        ("ouvert", ["OUI", "non"], "boolean", None),
        ("latitude", ["45.7", "-12.1"], "number", None),
    ],
)
def test_guess_field(name, values, expected_type, check):
    guess = guess_field(name, pl.Series(values + [None, ""], dtype=pl.String), len(values) + 2)
    assert guess.field["type"] == expected_type
    assert guess.field.get("x-camp-check") == check


def test_luhn_and_names():
    assert luhn("732829320") and not luhn("732829321")
    assert dataset_name("/x/Places Réservées-2010.csv") == "places_reservees_2010"
    assert dataset_name("https://h/r/2024-decp.csv") == "jeu_2024_decp"
