# ruff: noqa: F811 (the small_camp fixture is imported, then requested by name)
"""A blocked or failed dataset is a visible outcome of a real Dagster run: the run fails on the
publication's blocking check, every other dataset is still published, and `camp materialize`
says which dataset was left out and why, in French."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.defs.assets import PUBLICATION_CHECK
from pipelines.defs.definitions import MAIN_JOB, PUBLISH_JOB, build_definitions
from pipelines.publish.snapshot import read_pointer
from pipelines.settings import get_settings
from tests.camp_runs import (  # noqa: F401 (small_camp is a fixture)
    DECP_LOCAL,
    break_decp,
    fetch_decp_from,
    small_camp,
)

pytestmark = pytest.mark.slow


def run_job(instance: DagsterInstance, job: str = MAIN_JOB):
    return (
        build_definitions()
        .resolve_job_def(job)
        .execute_in_process(instance=instance, raise_on_error=False)
    )


def checks_of(result, name: str) -> list:
    return [e for e in result.get_asset_check_evaluations() if e.check_name == name]


def materialized(result) -> set[AssetKey]:
    return {
        e.event_specific_data.materialization.asset_key
        for e in result.get_asset_materialization_events()
    }


def test_a_blocked_dataset_fails_the_run_and_the_others_are_published(small_camp: Path) -> None:
    with DagsterInstance.ephemeral() as instance:
        first = run_job(instance)
        assert first.success
        (check,) = checks_of(first, PUBLICATION_CHECK)
        assert check.passed
        before = read_pointer(get_settings().publish_dir)
        decp = AssetKey("core_decp__marches")
        last_good = instance.get_latest_materialization_event(decp).timestamp

        break_decp(small_camp)
        second = run_job(instance)
        assert not second.success, "a blocked dataset must not end as a green run"
        assert instance.get_run_by_id(second.run_id).status.value == "FAILURE"
        failed = [c for c in checks_of(second, "validation") if not c.passed]
        assert [c.asset_key for c in failed] == [decp]
        assert failed[0].blocking
        assert failed[0].description.startswith("Publication bloquée : ")
        assert "au-delà de la limite de 50,0 %" in failed[0].description
        # nothing was replaced, so nothing is materialized: freshness counts from the last
        # published data, and the previous publication is still the one served
        assert decp not in materialized(second)
        assert instance.get_latest_materialization_event(decp).timestamp == last_good
        assert AssetKey("core_gtfs_star__arrets") in materialized(second)
        assert read_pointer(get_settings().publish_dir)["id"] == before["id"]

        # the follow-up publication (camp materialize, or the automation condition)
        # publishes the other dataset and says which one was left out
        follow = run_job(instance, PUBLISH_JOB)
        assert follow.success
        after = read_pointer(get_settings().publish_dir)
        assert after["id"] != before["id"]
        assert after["tables"]["core_decp__marches"] == before["tables"]["core_decp__marches"]
        (warning,) = checks_of(follow, PUBLICATION_CHECK)
        assert not warning.passed and warning.severity.value == "WARN"
        assert "decp (marches) — bloqué" in warning.description
        missed = warning.metadata["non_publies"].value
        assert [(m["dataset"], m["state"]) for m in missed] == [("decp", "blocked")]


def test_an_unreachable_source_fails_the_run(small_camp: Path, http_server, monkeypatch) -> None:
    sample = (small_camp / DECP_LOCAL).read_bytes()
    route = http_server.route("/decp.csv", body=sample)
    fetch_decp_from(small_camp, f"{http_server.url}/decp.csv", monkeypatch)
    with DagsterInstance.ephemeral() as instance:
        assert run_job(instance, "refresh_decp").success
        raw = AssetKey("raw_decp__marches")
        last_good = instance.get_latest_materialization_event(raw).timestamp
        route.status, route.body = 404, b"gone"
        second = run_job(instance, "refresh_decp")
        assert instance.get_latest_materialization_event(raw).timestamp == last_good
    assert not second.success
    (source,) = checks_of(second, "source")
    assert not source.passed and source.blocking
    assert source.description.startswith("Source en échec : ")
    assert (
        "404" in source.description and "la version précédente reste en ligne" in source.description
    )
    assert not materialized(second), "nothing downstream runs on a failed source"


def test_a_source_never_fetched_fails_its_run_without_a_python_traceback(
    small_camp: Path, http_server, monkeypatch
) -> None:
    fetch_decp_from(small_camp, f"{http_server.url}/missing.csv", monkeypatch)
    with DagsterInstance.ephemeral() as instance:
        result = run_job(instance, "refresh_decp")
    assert not result.success
    (source,) = checks_of(result, "source")
    assert "rien n'a encore été récupéré" in source.description


def test_camp_materialize_exits_non_zero_and_says_which_dataset_and_why(
    small_camp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli.main import main

    assert main(["materialize"]) == 0
    out = capsys.readouterr().out
    assert "réussi" in out and "Publication des autres" not in out
    break_decp(small_camp)
    assert main(["materialize"]) == 1
    out = capsys.readouterr().out
    assert "EN ÉCHEC" in out
    assert "Non publiés (la publication précédente reste en ligne pour eux) :" in out
    line = next(line for line in out.splitlines() if line.startswith("  decp (marches) : "))
    assert "Publication bloquée : " in line
    assert "% de lignes invalides, au-delà de la limite de 50,0 %" in line
    follow = out.split("Publication des autres jeux de données (job `publish`) :")[1]
    assert "réussi" in follow and "camp_publication" in follow  # the others published
    assert "decp (marches) — bloqué" in follow  # the publication's warning
