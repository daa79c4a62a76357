"""The officer's CLI: `camp scaffold`, `camp status` (and `camp validate` once validated)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from pipelines.catalog.load import load_dataset
from pipelines.cli.main import main
from pipelines.ops import journal

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


def test_validate_prints_the_report_of_the_scaffolded_file(tmp_path: Path, capsys):
    assert (
        main(
            [
                "scaffold",
                str(FIXTURES / "montpellier-places-reservees-latin1.csv"),
                "--root",
                str(tmp_path),
                "--name",
                "places",
            ]
        )
        == 0
    )
    capsys.readouterr()
    code = main(["validate", str(tmp_path / "catalog" / "places.yaml"), "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["rows_read"] == 25 and report["rows_valid"] == 25
    assert report["rows_quarantined"] == 0 and report["publiable"] is True
    assert report["lecture"]["encoding"] in ("cp1252", "latin-1")


def test_validate_a_worse_extract_against_the_same_descriptor(tmp_path: Path, capsys):
    main(
        [
            "scaffold",
            str(FIXTURES / "acceslibre-erp-siret-insee-postal.csv"),
            "--root",
            str(tmp_path),
            "--name",
            "erp",
        ]
    )
    descriptor = tmp_path / "catalog" / "erp.yaml"
    spec = yaml.safe_load(descriptor.read_text(encoding="utf-8"))
    spec["resources"][0]["x-camp"]["publish"] = {"max_invalid_share": 0.2}
    descriptor.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    rows = (FIXTURES / "acceslibre-erp-siret-insee-postal.csv").read_text().splitlines()
    worse = tmp_path / "worse.csv"
    # two of six rows broken: a SIRET with a wrong length, a postcode that is not one
    rows[1] = rows[1].replace("88138151100016", "8813815110001")
    rows[2] = rows[2].replace("63210", "6321O")
    worse.write_text("\n".join(rows) + "\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["validate", str(descriptor), str(worse)])
    out = capsys.readouterr().out
    assert code == 1, "33 % invalid, above the 20 % the descriptor allows"
    assert re.search(r"^Lignes en quarantaine\s+2$", out, re.MULTILINE), out
    assert re.search(r"^Publiable\s+NON \(", out, re.MULTILINE)
    assert re.search(r"^Part de lignes invalides\s+33,3 %$", out, re.MULTILINE), out
    assert "Erreurs par champ" in out and "--json" in out
    assert "Numéro SIRET invalide" in out, "the French message of the validator"
