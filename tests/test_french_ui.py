"""The French interface: every English snippet it replaces is still in the pinned templates
and scripts, French formats, and the table page's fast cells equal to `render_cell`'s."""

from __future__ import annotations

import asyncio
import importlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from datasette.plugins import pm

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
    render.install(env)
    table = env.loader.get_source(env, "table.html")[0]
    assert 'value="Appliquer"' in table and 'value="Apply"' not in table
    assert '<html lang="fr">' in env.loader.get_source(env, "base.html")[0]
    # The project's own templates are loaded as they are.
    assert "camp_table_body" in env.loader.get_source(env, "_table.html")[0]


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


VALUES = [
    (1, "COMMUNE <b>&</b> Cie", 61100.0, 3, "2026-12-03T07:07:34Z", "https://example.org/a"),
    (2, "", None, None, "2022-09-16 16:30:00", ""),
    (3, "texte", 0.5, 0, None, "http://pas une adresse"),
]


@pytest.fixture
def french_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A Datasette over a small table whose `montant` is in euros, with this project's
    `render_cell` as the only cell renderer (as serve.py and plugin.py leave it)."""
    path = tmp_path / "camp.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (_row INTEGER PRIMARY KEY, nom, montant REAL, n, quand, url)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", VALUES)
    db.commit()
    db.close()
    registered = pm.is_registered(render)
    if not registered:
        pm.register(render, name="camp_cells_test")
    hook = pm.hook.render_cell
    others = [p for p in pm.get_plugins() if p is not render]
    pm.hook.render_cell = pm.subset_hook_caller("render_cell", remove_plugins=others)
    given: list[int] = []
    original = render.DATASETTE_CELLS

    async def datasette_cells(*args: Any, **kwargs: Any) -> Any:
        given.append(len(args[4]))
        return await original(*args, **kwargs)

    monkeypatch.setattr(render, "DATASETTE_CELLS", datasette_cells)
    ds = Datasette([str(path)], metadata={"x-camp": {"formats": {"t": {"montant": "euro"}}}})
    try:
        yield ds, given
    finally:
        pm.hook.render_cell = hook  # before unregistering: pluggy edits `pm.hook`'s caller
        if not registered:
            pm.unregister(render)


def both_ways(ds: Datasette) -> tuple[list[Any], list[Any]]:
    async def run() -> tuple[Any, Any]:
        results = await ds.get_database("camp").execute("select * from t order by _row")
        args = (ds, "camp", "t", results.description, results.rows)
        options = {"link_column": True, "truncate_cells": 30, "sortable_columns": set()}
        return (
            await render.display_columns_and_rows(*args, **options),
            await render.DATASETTE_CELLS(*args, **options),
        )

    (_, ours), (_, theirs) = asyncio.run(run())
    return [r.cells for r in ours], [r.cells for r in theirs]


def test_fast_cells_are_what_render_cell_makes_datasette_show(french_cells) -> None:
    ds, given = french_cells
    ours, theirs = both_ways(ds)
    assert ours == theirs
    assert given == [0, len(VALUES)]  # the fast path built its rows itself
    first = {c["column"]: c["value"] for c in ours[0]}
    assert first["montant"] == f"61{THIN}100,00\u00a0€"
    assert first["quand"] == "2026-12-03 08:07:34 +01:00"
    second = {c["column"]: c["value"] for c in ours[1]}
    assert second["quand"] == "2022-09-16 16:30:00"  # no offset: as stored
    assert {c["column"]: c["value"] for c in ours[2]}["montant"] == "0,50\u00a0€"
