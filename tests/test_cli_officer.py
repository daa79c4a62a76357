"""The officer's CLI: `camp scaffold`, `camp status` (and `camp validate` once validated)."""

from __future__ import annotations

import re
from pathlib import Path

from pipelines import journal
from pipelines.catalog import load_dataset
from pipelines.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "officer"


def test_scaffold_writes_a_descriptor_and_says_what_to_do(tmp_path: Path, capsys):
    source = FIXTURES / "acceslibre-erp-siret-insee-postal.csv"
    code = main(["scaffold", str(source), "--root", str(tmp_path), "--name", "erp"])
    out = capsys.readouterr().out
    assert code == 0
    assert f"Descripteur écrit : {tmp_path / 'catalog' / 'erp.yaml'}" in out
    assert "camp validate" in out
    assert load_dataset(tmp_path / "catalog" / "erp.yaml").name == "erp"
    assert main(["scaffold", str(source), "--root", str(tmp_path), "--name", "erp"]) == 1
    assert "--force" in capsys.readouterr().out


def test_scaffold_of_a_missing_file_is_an_error(tmp_path: Path, capsys):
    assert main(["scaffold", str(tmp_path / "nope.csv"), "--root", str(tmp_path)]) == 1
    assert "Erreur" in capsys.readouterr().out


def test_status_explains_each_catalogue_dataset(camp_env: Path, capsys):
    journal.record(
        camp_env,
        journal.FETCH,
        "decp",
        "marches",
        outcome="failed",
        http_status=404,
        error="GET x answered HTTP 404",
    )
    code = main(["status"])
    out = capsys.readouterr().out
    assert code == 2, "not everything is fresh"
    assert re.search(r"^en échec\s+decp\s", out, re.MULTILINE), out
    assert "La source répond 404 depuis le" in out
    assert "Aucune récupération pour l'instant." in out  # the other datasets
