"""The French interface: every English snippet it replaces is still in the pinned templates
and scripts, and French formats (cells on a served page: `test_serve_swap.py`)."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from datasette.app import Datasette

from pipelines import french
from pipelines.serve import french_templates, render

THIN = "\u202f"


def installed(key: str) -> Path:
    """`datasette/templates/table.html` → the file of the installed (pinned) package."""
    package, *rest = key.split("/")
    return Path(importlib.import_module(package).__file__).parent.joinpath(*rest)


@pytest.mark.parametrize("key", sorted(french_templates.replacements()))
def test_every_english_snippet_is_in_the_pinned_template(key: str) -> None:
    source = installed(key).read_text(encoding="utf-8")
    translated, missing = french_templates.translate(key, source)
    assert not missing, f"{key}: not found (template changed upstream?): {missing}"
    assert translated != source


@pytest.mark.parametrize("key", sorted(french_templates.script_texts()))
def test_every_english_script_text_is_in_the_pinned_script(key: str) -> None:
    source = installed(key).read_text(encoding="utf-8")
    spec = french_templates.script_texts()[key]
    for english in [*spec.get("text", {}), *(p[0] for p in spec.get("patterns", []))]:
        assert english in source, f"{key}: {english!r} not found (script changed upstream?)"


def test_templates_load_translated_through_datasettes_environment() -> None:
    env = Datasette([]).jinja_env
    render.prepare_jinja2_environment(env)
    table = env.loader.get_source(env, "table.html")[0]
    assert 'value="Appliquer"' in table and 'value="Apply"' not in table
    assert '<html lang="fr">' in env.loader.get_source(env, "base.html")[0]
    # Datasette's own `_table.html` (no copy of it here), translated; ours override by name.
    assert "Aucune ligne." in env.loader.get_source(env, "_table.html")[0]
    assert "camp_home" in env.loader.get_source(env, "index.html")[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(4409, f"4{THIN}409 lignes"), (1, "1 ligne"), (0, "0 ligne"), (2, "2 lignes")],
)
def test_counts_are_french(value: int, expected: str) -> None:
    assert french.count(value, "ligne") == expected


def test_amounts_decimals_and_sizes_are_french() -> None:
    assert french.euros(61100.0) == f"61{THIN}100,00\u00a0€"
    assert french.euros(1234567.891) == f"1{THIN}234{THIN}567,89\u00a0€"
    assert french.decimal(12.5) == "12,5" and french.decimal(-0.25) == "-0,25"
    assert french.decimal(1e-7) == "1e-07".replace(".", ",")
    assert french.size(1536) == "1,5\u00a0Ko" and french.size(512) == "512\u00a0octets"


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("2026-12-03T07:07:34Z", "2026-12-03 08:07:34 +01:00"),  # winter: UTC+1
        ("2026-07-01T10:00:00Z", "2026-07-01 12:00:00 +02:00"),  # summer: UTC+2
        ("2019-12-10T20:00:00+01:00", "2019-12-10 20:00:00 +01:00"),
    ],
)
def test_timestamps_with_an_offset_are_shown_in_paris_time(stored: str, shown: str) -> None:
    assert french.paris_time(stored) == shown


@pytest.mark.parametrize("text", ["2022-09-16 16:30:00", "2024-01-01", "20006258600157-12"])
def test_values_without_an_offset_are_left_as_written(text: str) -> None:
    assert french.paris_time(text) is None


def test_long_times_name_paris_and_the_offset() -> None:
    assert (
        french.paris_time_long("2026-12-01T07:07:34Z")
        == "1er décembre 2026 à 08:07 (heure de Paris, UTC+01:00)"
    )


def test_filtered_rows_are_described_in_french() -> None:
    selections = [("montant", "gt", "100000"), ("procedure", "exact", "Appel d'offres ouvert")]
    assert french.describe_rows(selections, sort_desc="montant") == (
        "où montant > 100000 et procedure = « Appel d'offres ouvert », "
        "triées par montant (décroissant)"
    )
    assert french.describe_rows([], search="fillière") == "contenant « fillière »"
    assert french.label("starts with") == "commence par" and french.label("home") == "accueil"


def test_euro_columns_come_from_the_unit_or_the_description() -> None:
    assert french.is_euro_field("EUR", "Montant HT.")
    assert french.is_euro_field(None, "Montant du marché en euros HT")
    assert not french.is_euro_field(None, "Nombre d'offres reçues")
    assert not french.is_euro_field("m", "Longueur, en mètres (pas en euros)")
