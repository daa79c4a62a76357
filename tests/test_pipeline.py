"""The whole graph on the shipped samples: Dagster → DuckDB → SQLite → a real Datasette."""

from __future__ import annotations

import csv
import html
import sqlite3
import subprocess
import time
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines.catalog.load import load_catalog
from tests.answers import Published
from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.slow
DECP_SAMPLE = ROOT / "datasets" / "decp" / "decp-2024h2-travaux-cpv4521.csv"


def csv_data_rows(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


@pytest.fixture(scope="module")
def built(published: Published):
    """The main job materialized once per session on the samples (tests/answers.py)."""
    return published.settings, published.materialized


def test_every_asset_is_materialized(built) -> None:
    settings, materialized = built
    datasets = load_catalog(settings.catalog_dir)
    expected = {r.table(layer) for d in datasets for r in d.resources for layer in ("raw", "core")}
    assert expected <= materialized
    assert "camp_publication" in materialized


def test_decp_rows_are_all_accounted_for_in_duckdb(built) -> None:
    settings, _ = built
    sample_rows = csv_data_rows(DECP_SAMPLE)
    assert sample_rows == 5000
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        raw = con.execute("SELECT count(*) FROM raw_decp__marches").fetchone()[0]
        core = con.execute("SELECT count(*) FROM core_decp__marches").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM quarantine_decp__marches").fetchone()[0]
        montant_type = con.execute(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name = 'core_decp__marches' AND column_name = 'montant'"
        ).fetchone()[0]
    assert raw == sample_rows
    assert core + quarantined == sample_rows
    assert core > 0 and quarantined > 0  # the real extract has known invalid rows
    assert montant_type in ("DOUBLE", "DECIMAL", "FLOAT") or montant_type.startswith("DECIMAL")


def test_every_resource_conserves_rows(built) -> None:
    settings, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for dataset in load_catalog(settings.catalog_dir):
            for resource in dataset.resources:
                counts = [
                    con.execute(f'SELECT count(*) FROM "{resource.table(layer)}"').fetchone()[0]
                    for layer in ("raw", "core", "quarantine")
                ]
                assert counts[0] == counts[1] + counts[2], (resource.table("core"), counts)


def _current_snapshot(publish_dir: Path) -> Path:
    snapshots = sorted(publish_dir.rglob("*.db"), key=lambda p: p.stat().st_mtime)
    assert snapshots, f"no SQLite snapshot under {publish_dir}"
    return snapshots[-1]


def test_sqlite_snapshot_has_the_duckdb_rows(built) -> None:
    settings, _ = built
    snapshot = _current_snapshot(settings.publish_dir)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        core = con.execute("SELECT count(*) FROM core_decp__marches").fetchone()[0]
    db = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    try:
        assert db.execute("SELECT count(*) FROM core_decp__marches").fetchone()[0] == core
    finally:
        db.close()


@pytest.fixture(scope="module")
def datasette_url(built):
    from pipelines.serve.command import datasette_command

    settings, _ = built
    port = free_port()
    process = subprocess.Popen(
        datasette_command(settings.publish_dir, host="127.0.0.1", port=port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/-/versions.json", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"Datasette did not start:\n{output}")
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_datasette_serves_the_rows_and_the_column_docs(built, datasette_url: str) -> None:
    settings, _ = built
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        core = con.execute("SELECT count(*) FROM core_decp__marches").fetchone()[0]
    data = requests.get(f"{datasette_url}/camp/core_decp__marches.json", timeout=30).json()
    assert data["filtered_table_rows_count"] == core
    page = html.unescape(requests.get(f"{datasette_url}/camp/core_decp__marches", timeout=30).text)
    decp = next(d for d in load_catalog(settings.catalog_dir) if d.name == "decp")
    resource = decp.resource("marches")
    for field in resource.schema["fields"]:
        assert field["description"].strip() in page, f"column doc of {field['name']} not shown"
