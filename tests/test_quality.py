"""Quality history: completeness of key fields, row-count change, regressions that alert."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.catalog.model import Resource
from pipelines.ops import journal
from pipelines.ops.quality import (
    HISTORY_TABLE,
    Thresholds,
    history_rows,
    key_completeness,
    regressions,
    source_changed_at,
    write_history,
)

RESOURCE = Resource(
    dataset="arrets",
    name="liste",
    title="t",
    description="d",
    sample_path=Path("x.csv"),
    format="csv",
    schema={"fields": [{"name": "wheelchair_boarding", "type": "integer"}]},
    key_fields=("wheelchair_boarding", "nb_pmr"),
    checks={"quality": {"min_completeness": {"wheelchair_boarding": 0.9}, "max_row_drop": 0.2}},
)


def test_completeness_counts_blank_as_missing_and_absent_columns_as_none():
    with duckdb.connect() as con:
        con.execute("CREATE TABLE raw_t (wheelchair_boarding VARCHAR, other VARCHAR)")
        con.execute("INSERT INTO raw_t VALUES ('1', 'a'), ('', 'b'), (NULL, 'c'), ('0', 'd')")
        result = key_completeness(con, "raw_t", ["wheelchair_boarding", "nb_pmr"])
        assert result == {"wheelchair_boarding": 0.5, "nb_pmr": None}
        assert key_completeness(con, "no_such_table", ["x"]) == {"x": None}


def test_thresholds_come_from_the_descriptor_with_defaults():
    thresholds = Thresholds.for_resource(RESOURCE)
    assert thresholds.max_row_drop == 0.2 and thresholds.min_completeness == {
        "wheelchair_boarding": 0.9
    }
    assert Thresholds.for_resource(replace(RESOURCE, checks={})).max_row_drop == 0.5


def test_regressions_say_what_crossed_which_threshold():
    thresholds = Thresholds.for_resource(RESOURCE)
    previous = {"rows_read": 1000, "invalid_share": 0.02}
    current = {
        "rows_read": 700,
        "invalid_share": 0.30,
        "completeness": {"wheelchair_boarding": 0.5},
    }
    reasons = regressions(current, previous, thresholds)
    assert "champ clé `wheelchair_boarding` rempli à 50%, sous le minimum de 90%" in reasons
    assert any(r.startswith("300 lignes en moins (30%)") for r in reasons)
    assert "part de lignes invalides passée de 2% à 30%" in reasons
    healthy = {"rows_read": 990, "invalid_share": 0.03, "completeness": {"wheelchair_boarding": 1}}
    assert regressions(healthy, previous, thresholds) == []
    absent = {"rows_read": 5, "completeness": {"wheelchair_boarding": None}}
    assert regressions(absent, None, thresholds) == [
        "champ clé `wheelchair_boarding` absent de la source"
    ]


def test_history_has_one_row_per_run_with_the_row_count_change(tmp_path: Path):
    for run, rows in (("r1", 100), ("r2", 80)):
        journal.record(
            tmp_path,
            journal.VALIDATE,
            "arrets",
            "liste",
            run_id=run,
            rows_read=rows,
            rows_valid=rows - 5,
            rows_quarantined=5,
            invalid_share=0.05,
            errors_by_type={"type-error": 5},
            completeness={"wheelchair_boarding": 0.75},
            published=True,
            alerts=[],
        )
    journal.record(tmp_path, journal.FETCH, "arrets", "liste", outcome="ok")  # not a row
    rows = history_rows(journal.read_events(tmp_path))
    assert [r["execution"] for r in rows] == ["r1", "r2"]
    assert rows[0]["variation_lignes"] is None and rows[1]["variation_lignes"] == -20
    assert json.loads(rows[1]["erreurs_par_type"]) == {"type-error": 5}
    with duckdb.connect() as con:
        assert write_history(con, journal.read_events(tmp_path)) == 2
        stored = con.execute(
            f"SELECT lignes_lues, publie, completude_champs_cles FROM {HISTORY_TABLE} ORDER BY 1"
        ).fetchall()
    assert stored == [
        (80, True, '{"wheelchair_boarding": 0.75}'),
        (100, True, '{"wheelchair_boarding": 0.75}'),
    ]


def test_source_change_time_prefers_last_modified_then_first_sight_of_the_content():
    events = [
        {"at": "2026-03-01T10:00:00Z", "outcome": "ok", "sha256": "a"},
        {"at": "2026-03-02T10:00:00Z", "outcome": "ok", "sha256": "b"},
        {"at": "2026-03-03T10:00:00Z", "outcome": "failed"},
        {"at": "2026-03-04T10:00:00Z", "outcome": "ok", "sha256": "b"},
    ]
    assert source_changed_at(events) == datetime(2026, 3, 2, 10, tzinfo=UTC)
    events[-1]["last_modified"] = "Sun, 01 Mar 2026 08:00:00 GMT"
    assert source_changed_at(events) == datetime(2026, 3, 1, 8, tzinfo=UTC)
    assert source_changed_at([{"at": "x", "outcome": "failed"}]) is None
