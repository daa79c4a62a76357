"""The code location derived from the catalogue: schedules, the change sensor, freshness,
retries and the warehouse pool, and the committed instance configuration."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, DagsterInstance, build_schedule_context

from pipelines.catalog.load import load_catalog
from pipelines.defs.assets import WAREHOUSE_POOL
from pipelines.defs.definitions import build_definitions, refresh_job_name
from pipelines.defs.sensors import SENSOR_NAME
from tests.conftest import ROOT

DATASETS = load_catalog(ROOT / "catalog")


@pytest.fixture(scope="module")
def defs():
    return build_definitions()


@pytest.mark.parametrize("dataset", [d for d in DATASETS if d.schedule], ids=lambda d: d.name)
def test_each_descriptor_cron_is_a_running_schedule_of_its_refresh_job(defs, dataset, camp_env):
    schedule = defs.resolve_schedule_def(f"{dataset.name}_schedule")
    assert schedule.cron_schedule == dataset.schedule
    assert schedule.job_name == refresh_job_name(dataset)
    assert schedule.execution_timezone == "Europe/Paris"
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(
            instance=instance, scheduled_execution_time=datetime(2026, 3, 2, 6, tzinfo=UTC)
        )
        requests = schedule.evaluate_tick(context).run_requests or []
    assert len(requests) == 1, "nothing fetched yet in this build folder: the sources changed"


def test_the_change_sensor_can_launch_every_refresh_job(defs):
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert {job.name for job in sensor.jobs} == {refresh_job_name(d) for d in DATASETS}
    assert sensor.minimum_interval_seconds and sensor.minimum_interval_seconds <= 3600


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_freshness_retries_and_pool_follow_the_descriptor(defs, dataset):
    for resource in dataset.resources:
        raw = defs.resolve_assets_def(AssetKey(resource.table("raw")))
        core = defs.resolve_assets_def(AssetKey(resource.table("core")))
        assert raw.op.pool == core.op.pool == WAREHOUSE_POOL
        assert raw.op.retry_policy and raw.op.retry_policy.max_retries >= 1
        policy = next(iter(core.specs)).freshness_policy
        if dataset.max_age_hours is None:
            assert policy is None
        else:
            assert policy.fail_window.to_timedelta() == timedelta(hours=dataset.max_age_hours)
        checks = {key.name for key in core.check_keys}
        assert {"validation", "quality"} <= checks


def test_committed_instance_has_a_warehouse_pool_of_one_and_sqlite_storage(tmp_path: Path):
    config = yaml.safe_load((ROOT / "dagster_home" / "dagster.yaml").read_text())
    assert "sqlite" in config.get("storage", {"sqlite": "default"})
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", tmp_path / "dagster.yaml")
    with DagsterInstance.from_config(str(tmp_path)) as instance:
        assert instance.event_log_storage.supports_global_concurrency_limits
        pools = instance.get_concurrency_config().pool_config
        assert pools.default_pool_limit == 1
        assert instance.freshness_enabled
        assert type(instance.run_storage).__name__.startswith("Sqlite")
        assert Path(instance.root_directory) == tmp_path, "storage under DAGSTER_HOME"
