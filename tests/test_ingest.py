"""The per-resource steps: online switch through the same path, bad data never over good."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipelines.catalog.load import load_dataset
from pipelines.settings import get_settings
from pipelines.steps.core import validate_core
from pipelines.steps.raw import ingest_raw
from tests.conftest import ROOT

DECP = load_dataset(ROOT / "catalog" / "decp.yaml", root=ROOT).resource("marches")


def _core_rows(settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute("SELECT * FROM core_decp__marches ORDER BY _row").fetchall()


def test_online_setting_fetches_the_url_through_the_same_path(
    camp_env: Path, http_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = DECP.sample_path.read_bytes()
    route = http_server.route("/decp.csv", body=body, headers={"ETag": '"a"'})
    online = replace(DECP, online_url=f"{http_server.url}/decp.csv")

    offline = ingest_raw(online, get_settings())
    assert offline.fetch.source == str(DECP.sample_path) and not route.requests

    monkeypatch.setenv("CAMP_ONLINE", "decp")
    fetched = ingest_raw(online, get_settings())
    assert fetched.fetch.source == online.online_url and len(route.requests) == 1
    assert fetched.rows == offline.rows == 5000
    assert fetched.fetch.sha256 == offline.fetch.sha256


def _mostly_broken_copy(path: Path) -> Path:
    """The sample with `montant` made non-numeric on 9 rows out of 10."""
    with DECP.sample_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    column = rows[0].index("montant")
    for number, row in enumerate(rows[1:]):
        if number % 10:
            row[column] = "environ 1000 €"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_a_blocked_validation_keeps_the_previous_core_table(camp_env: Path, tmp_path: Path) -> None:
    settings = get_settings()
    ingest_raw(DECP, settings)
    first = validate_core(DECP, settings)
    assert first.published
    good = _core_rows(settings)
    assert len(good) == first.report.rows_valid > 0

    broken = replace(DECP, sample_path=_mostly_broken_copy(tmp_path / "broken.csv"))
    ingest_raw(broken, settings)
    second = validate_core(broken, settings)
    assert not second.published
    assert second.report.invalid_share > broken.max_invalid_share
    assert "au-delà de la limite" in second.reason
    assert "la publication précédente reste en ligne" in second.reason
    assert second.report.errors_by_type.get("type-error", 0) >= 4500
    assert _core_rows(settings) == good
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        staged = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'staging'"
        ).fetchone()[0]
    assert staged == 0, "rejected results must not linger in staging"
