"""`camp validate` and the pipeline's core step run the very same validation: a point outside
France in a sample is caught by both, with the same counts (the CLI once passed no
coordinates and missed it)."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import yaml

from pipelines.catalog.load import load_dataset
from pipelines.cli.main import main
from pipelines.settings import Settings
from pipelines.steps.core import run_core
from pipelines.steps.outcome import State
from pipelines.steps.raw import run_raw
from tests.conftest import ROOT

SAMPLE = ROOT / "datasets" / "acceslibre" / "erp-lyon-2020-et-exemple-schema-0.0.20.csv"


def erp_with_a_point_in_the_atlantic(root: Path) -> Path:
    """`root/catalog/acceslibre.yaml` whose `erp` sample has its first point at 0° N 0° E."""
    shutil.copytree(ROOT / "catalog" / "schemas", root / "catalog" / "schemas")
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    lat, lon = rows[0].index("latitude"), rows[0].index("longitude")
    rows[1][lat], rows[1][lon] = "0.5", "0.5"  # in the Gulf of Guinea, in no French box
    sample = root / "erp-atlantique.csv"
    with sample.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, quoting=csv.QUOTE_ALL).writerows(rows)
    spec = yaml.safe_load((ROOT / "catalog" / "acceslibre.yaml").read_text("utf-8"))
    spec["resources"] = [r for r in spec["resources"] if r["name"] == "erp"]
    spec["resources"][0]["path"] = sample.name
    descriptor = root / "catalog" / "acceslibre.yaml"
    descriptor.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    return descriptor


def test_a_point_outside_france_is_caught_by_the_pipeline_and_by_camp_validate(
    tmp_path: Path, capsys
):
    root = tmp_path / "root"
    descriptor = erp_with_a_point_in_the_atlantic(root)
    resource = load_dataset(descriptor).resources[0]
    assert resource.map_columns, "the test needs a resource with map coordinates"

    settings = Settings(root=root, build_dir=tmp_path / "build", online=frozenset())
    assert run_raw(resource, settings).state is State.PUBLISHED
    outcome = run_core(resource, settings)
    assert outcome.state is State.PUBLISHED, outcome.reason
    pipeline = outcome.result.report.to_metadata()

    main(["validate", str(descriptor), "--json"])
    cli = json.loads(capsys.readouterr().out)

    def outside(report: dict) -> list[dict]:
        return [e for e in report["examples"] if "hors de France" in e["message"]]

    assert [e["_row"] for e in outside(pipeline)] == [2], pipeline["examples"]  # header is 1
    assert outside(cli) == outside(pipeline), "camp validate missed the point outside France"
    for key in ("rows_read", "rows_valid", "rows_quarantined", "errors_by_type", "errors_by_field"):
        assert cli[key] == pipeline[key], key
