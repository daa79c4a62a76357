"""A small copy of the catalogue in a temporary project root, for real Dagster runs.

`decp` reads its sample from a file of the temporary root, so a test can replace it with a
broken extract between two runs; marts whose inputs are not in the copy are left out.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

DECP_SAMPLE = ROOT / "datasets" / "decp" / "decp-2024h2-travaux-cpv4521.csv"
DECP_LOCAL = "samples/decp.csv"


def small_catalogue(root: Path, names: tuple[str, ...] = ("decp", "gtfs_star")) -> Path:
    """`root/catalog` with the named datasets, their schemas and the marts they feed."""
    catalog = root / "catalog"
    (catalog / "marts").mkdir(parents=True)
    shutil.copytree(ROOT / "catalog" / "schemas", catalog / "schemas")
    (root / "datasets").symlink_to(ROOT / "datasets")
    (root / "samples").mkdir()
    shutil.copyfile(DECP_SAMPLE, root / DECP_LOCAL)
    tables: set[str] = set()
    for name in names:
        descriptor = yaml.safe_load((ROOT / "catalog" / f"{name}.yaml").read_text("utf-8"))
        for resource in descriptor["resources"]:
            tables.add(f"core_{name}__{resource['name']}")
            if name == "decp" and resource["name"] == "marches":
                resource["path"] = DECP_LOCAL
        (catalog / f"{name}.yaml").write_text(
            yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False), "utf-8"
        )
    for mart in sorted((ROOT / "catalog" / "marts").glob("*.yaml")):
        spec = yaml.safe_load(mart.read_text("utf-8"))
        if set(spec.get("depends_on", [])) <= tables:
            shutil.copyfile(mart, catalog / "marts" / mart.name)
    return catalog


def break_decp(root: Path) -> None:
    """Make `montant` non-numeric on 9 rows out of 10: above the 50 % limit, so blocked."""
    with DECP_SAMPLE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("montant")
    for number, row in enumerate(rows[1:]):
        if number % 10:
            row[column] = "environ 1000 €"
    with (root / DECP_LOCAL).open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def fetch_decp_from(root: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `decp` an online source at `url` (a local test server), fetched by the runs."""
    path = root / "catalog" / "decp.yaml"
    descriptor = yaml.safe_load(path.read_text("utf-8"))
    descriptor["resources"][0]["x-camp"]["online_url"] = url
    path.write_text(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False), "utf-8")
    monkeypatch.setenv("CAMP_ONLINE", "decp")


@pytest.fixture
def small_camp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary project root holding a small catalogue; generated files beside it."""
    root = tmp_path / "root"
    small_catalogue(root)
    monkeypatch.setenv("CAMP_ROOT", str(root))
    monkeypatch.setenv("CAMP_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    (tmp_path / "dagster_home").mkdir()
    monkeypatch.delenv("CAMP_ONLINE", raising=False)
    for name in ("CAMP_ALERT_WEBHOOK", "CAMP_SMTP_HOST", "CAMP_ALERT_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    return root
