"""Support for the "right answers" tests: every dashboard panel and canned query is run on
the publication of the shipped samples and compared with an independent computation.

A `tests/test_answers_<domain>.py` module defines ordinary tests and a dict `ANSWERS` whose
keys name what it checks: `"<dashboard slug>/<chart key>"` or `"query/<canned query>"`.
`tests/test_answers_coverage.py` fails when a panel or canned query on disk has no key.

The independent side reads the sample files with the standard library (csv, json), never
the program's SQL; the only thing it takes from the publication is which source rows were
quarantined (`quarantined_rows`), since re-implementing the validation here would test
nothing about the figures.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml
from datasette_dashboards import replace_opts_in_query

from pipelines.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DASHBOARDS = ROOT / "dashboards"
DATASETS = ROOT / "datasets"
T = TypeVar("T")


@dataclass(frozen=True)
class Published:
    """The main job's publication of the shipped samples."""

    db_path: Path  # the immutable SQLite snapshot Datasette serves
    warehouse_path: Path
    publish_dir: Path
    settings: Settings  # as the job saw them (build folder in the test's tmp)
    materialized: frozenset[str] = frozenset()  # asset keys the run materialized

    def connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        con.row_factory = sqlite3.Row
        return con

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        with self.connect() as con:
            return [dict(r) for r in con.execute(sql, params or {}).fetchall()]


def dashboard(slug: str) -> dict[str, Any]:
    return yaml.safe_load((DASHBOARDS / f"{slug}.yaml").read_text(encoding="utf-8"))


def canned_query(name: str) -> dict[str, Any]:
    return yaml.safe_load((DASHBOARDS / "queries" / f"{name}.yaml").read_text(encoding="utf-8"))


def chart_rows(published: Published, slug: str, chart: str, **filters: str) -> list[dict]:
    """Rows of one dashboard chart, its `[[ … ]]` clauses kept or dropped exactly as
    datasette-dashboards does for these filter values."""
    sql = dashboard(slug)["charts"][chart]["query"]
    return published.rows(replace_opts_in_query(sql, filters), filters)


def query_rows(published: Published, name: str, **params: str) -> list[dict]:
    """Rows of one canned query for these parameters (its `exemple` when none are given)."""
    spec = canned_query(name)
    return published.rows(spec["sql"], params or dict(spec["exemple"]))


def all_answer_keys() -> set[str]:
    """Every dashboard chart and canned query on disk, as `ANSWERS` keys."""
    keys = {f"query/{p.stem}" for p in (DASHBOARDS / "queries").glob("*.yaml")}
    for path in DASHBOARDS.glob("*.yaml"):
        keys |= {f"{path.stem}/{chart}" for chart in dashboard(path.stem).get("charts", {})}
    return keys


def create_core_table(con: Any, dataset: str, resource: str) -> None:
    """An empty `core_<dataset>__<resource>` typed from the catalogue's Table Schema, as the
    pipeline types it, for marts tested on a few hand-written rows."""
    from pipelines.catalog.load import load_catalog
    from pipelines.validate.types import duckdb_type

    [spec] = [d for d in load_catalog(ROOT / "catalog") if d.name == dataset]
    fields = spec.resource(resource).schema["fields"]
    columns = ", ".join(f'"{f["name"]}" {duckdb_type(f)}' for f in fields)
    con.execute(f"CREATE TABLE core_{dataset}__{resource} ({columns})")


def quarantined_rows(published: Published, table: str) -> set[int]:
    """The `_row` numbers the validation rejected, as the reader numbers rows: for a CSV,
    frictionless's row number (the header is row 1, the first data row is row 2)."""
    return {r["_row"] for r in published.rows(f"SELECT _row FROM quarantine_{table}")}


def kept_rows(published: Published, table: str, rows: Iterable[T]) -> list[T]:
    """The source rows, read by the test in file order, that the validation kept.

    Each reader numbers rows its own way (a CSV from 2, a JSON listing from 1): the numbers
    are taken from `raw_<table>._row` in order, so no test has to know the convention."""
    import duckdb

    with duckdb.connect(str(published.warehouse_path), read_only=True) as con:
        listed = con.execute(f"SELECT _row FROM raw_{table} ORDER BY _row").fetchall()
    rows = list(rows)
    assert len(rows) == len(listed), f"{table}: the test read {len(rows)}, the reader {len(listed)}"
    rejected = quarantined_rows(published, table)
    return [row for (number,), row in zip(listed, rows, strict=True) if number not in rejected]


def publish_samples(tmp: Path) -> Published:
    """Run the real main job (Dagster, in process) on the shipped samples into `tmp`."""
    import pytest
    from dagster import DagsterInstance

    from pipelines.defs.definitions import MAIN_JOB, build_definitions
    from pipelines.publish.snapshot import read_pointer
    from pipelines.settings import get_settings

    patch = pytest.MonkeyPatch()
    patch.setenv("CAMP_ROOT", str(ROOT))
    patch.setenv("CAMP_BUILD_DIR", str(tmp / "build"))
    patch.delenv("CAMP_ONLINE", raising=False)
    try:
        with DagsterInstance.ephemeral() as instance:
            job = build_definitions().resolve_job_def(MAIN_JOB)
            result = job.execute_in_process(instance=instance, raise_on_error=False)
            failures = [
                f"{e.step_key}: {e.event_specific_data.error.message}"
                for e in result.all_events
                if e.is_step_failure
            ]
            assert result.success and not failures, "\n".join(failures)
            materialized = frozenset(
                e.event_specific_data.materialization.asset_key.to_user_string()
                for e in result.get_asset_materialization_events()
            )
        settings = get_settings()
    finally:
        patch.undo()
    pointer = read_pointer(settings.publish_dir)
    return Published(
        db_path=settings.publish_dir / pointer["path"],
        warehouse_path=settings.warehouse_path,
        publish_dir=settings.publish_dir,
        settings=settings,
        materialized=materialized,
    )
