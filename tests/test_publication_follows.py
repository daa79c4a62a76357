# ruff: noqa: F811 (the small_camp fixture is imported, then requested by name)
"""The publication follows its inputs, and `camp status` says when the served one was made.

Real Dagster runs on a small catalogue: the automation condition of the publication is
evaluated as the daemon's sensor evaluates it, and « publié le » is compared with
`current.json`, the pointer Datasette follows."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, evaluate_automation_conditions

from pipelines.defs.assets import PUBLICATION
from pipelines.defs.definitions import AUTOMATION_SENSOR, MAIN_JOB, build_definitions
from pipelines.french import french_date
from pipelines.ops.journal import parse_iso
from pipelines.publish.snapshot import read_pointer
from pipelines.settings import get_settings
from tests.camp_runs import small_camp  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow
CORE = AssetKey("core_gtfs_star__arrets")


def requested(defs, instance, cursor):
    result = evaluate_automation_conditions(defs=defs, instance=instance, cursor=cursor)
    keys = {
        r.key
        for r in result.results
        if r.true_subset.size and getattr(r.key, "path", None) is not None
    }
    return keys, result.cursor


def status_text(capsys: pytest.CaptureFixture[str]) -> str:
    from pipelines.cli.main import main

    main(["status"])
    return capsys.readouterr().out


def test_a_ui_selection_of_one_core_asset_leads_to_a_new_publication(
    small_camp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    defs = build_definitions()
    assert defs.resolve_sensor_def(AUTOMATION_SENSOR).default_status.value == "RUNNING"
    publish_dir = get_settings().publish_dir
    with DagsterInstance.ephemeral() as instance:
        assert defs.resolve_job_def(MAIN_JOB).execute_in_process(instance=instance).success
        first = read_pointer(publish_dir)
        keys, cursor = requested(defs, instance, None)
        assert keys == set()
        keys, cursor = requested(defs, instance, cursor)
        assert keys == set(), "published in the same run as its inputs: not again"
        served = french_date(parse_iso(first["created_at"]).astimezone(UTC))
        assert f"Publié le {served}" in status_text(capsys)

        # the UI's "Materialize selected" on one core asset: a run of that asset alone
        ui = defs.resolve_implicit_global_asset_job_def()
        assert ui.execute_in_process(instance=instance, asset_selection=[CORE]).success
        assert read_pointer(publish_dir)["id"] == first["id"]
        text = status_text(capsys)
        assert f"Publié le {served}" in text, "« publié le » is the served snapshot's time"
        assert "attend la prochaine publication" in text

        keys, cursor = requested(defs, instance, cursor)
        assert AssetKey(PUBLICATION) in keys
        run = ui.execute_in_process(instance=instance, asset_selection=sorted(keys, key=str))
        assert run.success
        second = read_pointer(publish_dir)
        assert second["id"] != first["id"]
        keys, cursor = requested(defs, instance, cursor)
        assert AssetKey(PUBLICATION) not in keys, "once, not on every tick"

    text = status_text(capsys)
    now_served = french_date(parse_iso(second["created_at"]).astimezone(UTC))
    assert f"Publié le {now_served}" in text
    assert "attend la prochaine publication" not in text


def test_status_publication_time_is_current_json_s(small_camp: Path) -> None:
    from datetime import datetime

    from pipelines.catalog.load import load_catalog
    from pipelines.ops.journal import read_events
    from pipelines.ops.status import Served, status_rows

    settings = get_settings()
    with DagsterInstance.ephemeral() as instance:
        build_definitions().resolve_job_def(MAIN_JOB).execute_in_process(instance=instance)
    pointer = read_pointer(settings.publish_dir)
    rows = status_rows(
        load_catalog(settings.catalog_dir),
        read_events(settings.build_dir),
        datetime.now(UTC),
        served=Served.read(settings.publish_dir),
    )
    assert {r["derniere_publication"] for r in rows} == {pointer["created_at"]}
    # and the status table inside the publication says the same
    import sqlite3

    db = sqlite3.connect(f"file:{settings.publish_dir / pointer['path']}?mode=ro", uri=True)
    try:
        inside = {r[0] for r in db.execute("SELECT derniere_publication FROM meta_camp__statut")}
    finally:
        db.close()
    (moment,) = inside
    gap = parse_iso(pointer["created_at"]) - parse_iso(moment)
    assert 0 <= gap.total_seconds() < 60, "the snapshot's own status names itself"
