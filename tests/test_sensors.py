"""The change sensor and the raw/core assets against a local server whose answers change
between ticks: unchanged → no run; changed → run; 503 twice then 200 → retried and succeeds;
404 → the run fails, the explained status says so and the last publication stays."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetSelection,
    DagsterInstance,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    define_asset_job,
    materialize,
)

from pipelines.catalog.load import load_catalog
from pipelines.catalog.model import Dataset
from pipelines.defs.assets import publication_asset, resource_assets
from pipelines.defs.sensors import build_change_sensor, build_refresh_schedule
from pipelines.ops.status import STATUS_TABLE
from pipelines.settings import get_settings
from pipelines.sources.changes import dump_watches, load_watches
from tests.conftest import ROOT

pytestmark = pytest.mark.slow  # materializes assets through Dagster

DECP_SAMPLE = ROOT / "datasets" / "decp" / "decp-2024h2-travaux-cpv4521.csv"


def decp_rows(count: int) -> bytes:
    """The header and the first `count` rows of the committed DECP sample."""
    lines = DECP_SAMPLE.read_bytes().split(b"\n")
    return b"\n".join(lines[: count + 1]) + b"\n"


def online_copy(url: str, name: str = "decp") -> Dataset:
    dataset = next(d for d in load_catalog(ROOT / "catalog") if d.name == "decp")
    resource = replace(dataset.resources[0], dataset=name, online_url=url)
    return replace(dataset, name=name, resources=(resource,))


@pytest.fixture
def decp_online(camp_env: Path, http_server, monkeypatch: pytest.MonkeyPatch):
    route = http_server.route("/decp.csv", body=decp_rows(40), headers={"ETag": '"v1"'})
    monkeypatch.setenv("CAMP_ONLINE", "decp,decp_bis")
    return online_copy(f"{http_server.url}/decp.csv"), route


def assets_of(*datasets: Dataset, published: bool = False) -> list:
    """Each dataset's raw and core assets; with `published`, the publication too (the status
    says « publié le » only of what a publication holds)."""
    catalogue = list(datasets)
    assets = [a for d in datasets for a in resource_assets(d, d.resources[0], catalogue)]
    return assets + ([publication_asset(catalogue, [])] if published else [])


def run(assets: list, instance: DagsterInstance):
    return materialize(assets, instance=instance, raise_on_error=False)


def tick(sensor, cursor: str | None, instance: DagsterInstance, *, due: bool = True):
    """One sensor evaluation; `due` makes every source due now, as if its interval passed."""
    if cursor and due:
        watches = load_watches(cursor)
        for watch in watches.values():
            watch.due_at = None
        cursor = dump_watches(watches)
    context = build_sensor_context(cursor=cursor, instance=instance)
    result = sensor(context)
    if isinstance(result, SensorResult):
        return result.run_requests or [], result.cursor
    assert isinstance(result, SkipReason)
    return [], context.cursor


def sensor_for(dataset: Dataset, assets: list):
    job = define_asset_job("refresh_decp", selection=AssetSelection.assets(*assets))
    return build_change_sensor([dataset], {dataset.name: "refresh_decp"}, [job])


def camp_alerts(instance: DagsterInstance, run_id: str) -> list[str]:
    """The run's `CAMP-ALERT` log events, as the Dagster UI lists them in the run's logs."""
    return [e.user_message for e in instance.all_logs(run_id) if "CAMP-ALERT" in e.user_message]


def status_row(name: str = "decp") -> tuple:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        return con.execute(
            f"SELECT etat, explication FROM {STATUS_TABLE} WHERE jeu_de_donnees = ?", [name]
        ).fetchone()


def core_rows(name: str = "decp") -> int:
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        table = f"core_{name}__marches"
        quarantined = con.execute(f"SELECT count(*) FROM quarantine_{name}__marches").fetchone()
        return con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] + quarantined[0]


def test_unchanged_source_launches_nothing_and_a_change_launches_one_run(decp_online):
    dataset, route = decp_online
    assets = assets_of(dataset)
    sensor = sensor_for(dataset, assets)
    with DagsterInstance.ephemeral() as instance:
        requests, cursor = tick(sensor, None, instance)
        assert [r.job_name for r in requests] == ["refresh_decp"], "never fetched: changed"
        first_key = requests[0].run_key
        assert run(assets, instance).success

        requests, cursor = tick(sensor, cursor, instance)
        assert requests == [], "the fetch state matches: nothing to do"
        assert route.requests[-1].get("If-None-Match") == '"v1"', "asked without downloading"
        assert load_watches(cursor)["decp/marches"].interval_hours == 24.0, "checks less often"

        asked = len(route.requests)
        requests, cursor = tick(sensor, cursor, instance, due=False)
        assert requests == [] and len(route.requests) == asked, "not due: not asked"

        route.body, route.headers = decp_rows(45), {"ETag": '"v2"'}
        requests, cursor = tick(sensor, cursor, instance)
        assert len(requests) == 1 and requests[0].run_key != first_key
        assert load_watches(cursor)["decp/marches"].interval_hours == 12.0, "back to 12 h"


def test_503_twice_then_200_is_retried_and_succeeds(decp_online):
    dataset, route = decp_online
    route.fail_first = 2
    with DagsterInstance.ephemeral() as instance:
        result = run(assets_of(dataset, published=True), instance)
    assert result.success
    assert len(route.requests) == 3
    assert core_rows() == 40
    assert status_row()[0] == "à jour"


def test_404_is_explained_and_the_last_publication_stays(decp_online, caplog):
    dataset, route = decp_online
    assets = assets_of(dataset, published=True)
    sensor = sensor_for(dataset, assets)
    with DagsterInstance.ephemeral() as instance:
        assert run(assets, instance).success
        _, cursor = tick(sensor, None, instance)
        route.status, route.headers, route.body = 404, {}, b"not found"
        with caplog.at_level(logging.WARNING):
            result = run(assets, instance)
        checks = {c.check_name: c for c in result.get_asset_check_evaluations()}
        alerts = camp_alerts(instance, result.run_id)
        requests, cursor = tick(sensor, cursor, instance)
        again, cursor = tick(sensor, cursor, instance)
    assert not result.success, "a failed source is a failed run, never a green one"
    assert not checks["source"].passed and checks["source"].blocking
    assert not result.get_asset_materialization_events(), "nothing replaced, nothing downstream"
    assert "404" in (checks["source"].description or "")
    assert any("404" in alert for alert in alerts), "the alert is an event of the run"
    state, sentence = status_row()
    assert state == "en échec"
    assert sentence.startswith("La source répond 404 depuis le ")
    assert "reste en ligne" in sentence
    assert core_rows() == 40, "the previous rows are still published"
    assert "404" in load_watches(cursor)["decp/marches"].last_error
    assert len(requests) == 1, "one run records the failure for the status"
    assert [r.run_key for r in again] == [requests[0].run_key], "once a day, not every tick"


def test_a_failing_dataset_never_stops_the_others(decp_online, http_server):
    dataset, route = decp_online
    route.status, route.headers = 404, {}
    other = online_copy(f"{http_server.url}/bis.csv", name="decp_bis")
    http_server.route("/bis.csv", body=decp_rows(20))
    with DagsterInstance.ephemeral() as instance:
        result = run(assets_of(dataset, other), instance)
    done = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "core_decp_bis__marches" in done and "raw_decp__marches" not in done
    assert len(route.requests) == 1, "a 404 is never retried"
    assert core_rows("decp_bis") == 20
    assert status_row("decp")[0] == "en échec"


def test_row_count_regression_fails_the_quality_check_with_the_reason(decp_online):
    dataset, route = decp_online
    assets = assets_of(dataset)
    with DagsterInstance.ephemeral() as instance:
        assert run(assets, instance).success
        route.body, route.headers = decp_rows(10), {"ETag": '"v2"'}
        result = run(assets, instance)
        alerts = camp_alerts(instance, result.run_id)
    quality = next(c for c in result.get_asset_check_evaluations() if c.check_name == "quality")
    assert not quality.passed
    assert "30 lignes en moins (75%)" in (quality.description or "")
    assert any("régression de qualité" in a and "30 lignes en moins" in a for a in alerts)
    with duckdb.connect(str(get_settings().warehouse_path), read_only=True) as con:
        history = con.execute(
            "SELECT lignes_lues, variation_lignes, alerte IS NOT NULL "
            "FROM meta_camp__historique_qualite ORDER BY horodatage, lignes_lues DESC"
        ).fetchall()
    assert history == [(40, None, False), (10, -30, True)]


def test_the_schedule_runs_only_when_a_source_changed_or_failed(decp_online):
    dataset, route = decp_online
    assets = assets_of(dataset)
    job = define_asset_job("refresh_decp", selection=AssetSelection.assets(*assets))
    schedule = build_refresh_schedule(dataset, job)

    def scheduled_runs(instance: DagsterInstance) -> int:
        context = build_schedule_context(instance=instance)
        return len(schedule.evaluate_tick(context).run_requests or [])

    with DagsterInstance.ephemeral() as instance:
        assert scheduled_runs(instance) == 1, "never fetched"
        assert run(assets, instance).success
        assert scheduled_runs(instance) == 0, "unchanged: not re-processed"
        route.body, route.headers = decp_rows(41), {"ETag": '"v2"'}
        assert scheduled_runs(instance) == 1
        route.status, route.headers = 404, {}
        assert scheduled_runs(instance) == 1, "a failing source runs, to record why"
