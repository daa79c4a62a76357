# ruff: noqa: F811 (the small_camp fixture is imported, then requested by name)
"""A blocked or failed dataset is a visible outcome of a real Dagster run: the run fails on the
publication's blocking check, every other dataset is still published, and `camp materialize`
says which dataset was left out and why, in French."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.assets import PUBLICATION, PUBLICATION_CHECK
from pipelines.definitions import MAIN_JOB, build_definitions
from pipelines.publish.snapshot import read_pointer
from pipelines.settings import get_settings
from tests.camp_runs import DECP_LOCAL, break_decp, small_camp  # noqa: F401 (fixture)

pytestmark = pytest.mark.slow


def run_main(instance: DagsterInstance, job: str = MAIN_JOB):
    return (
        build_definitions()
        .resolve_job_def(job)
        .execute_in_process(instance=instance, raise_on_error=False)
    )


def publication_check(result):
    (evaluation,) = [
        e for e in result.get_asset_check_evaluations() if e.check_name == PUBLICATION_CHECK
    ]
    return evaluation


def test_a_blocked_dataset_fails_the_run_and_the_others_are_published(small_camp: Path) -> None:
    with DagsterInstance.ephemeral() as instance:
        first = run_main(instance)
        assert first.success
        assert publication_check(first).passed
        before = read_pointer(get_settings().publish_dir)

        break_decp(small_camp)
        second = run_main(instance)
        assert not second.success, "a blocked dataset must not end as a green run"
        run = instance.get_run_by_id(second.run_id)
        assert run.status.value == "FAILURE"
        check = publication_check(second)
        assert not check.passed and check.blocking
        assert "decp (marches) — bloqué" in check.description
        assert "au-delà de la limite de 50,0 %" in check.description
        missed = check.metadata["non_publies"].value
        assert [(m["dataset"], m["state"]) for m in missed] == [("decp", "blocked")]

        # the publication itself happened: the other dataset is served from a new snapshot
        after = read_pointer(get_settings().publish_dir)
        assert after["id"] != before["id"]
        materialized = {
            e.event_specific_data.materialization.asset_key
            for e in second.get_asset_materialization_events()
        }
        assert AssetKey(PUBLICATION) in materialized
        assert AssetKey("core_gtfs_star__arrets") in materialized
        # and the blocked table kept its previous rows
        assert after["tables"]["core_decp__marches"] == before["tables"]["core_decp__marches"]


def test_an_unreachable_source_fails_the_run(small_camp: Path, http_server, monkeypatch) -> None:
    import yaml

    sample = (small_camp / DECP_LOCAL).read_bytes()
    route = http_server.route("/decp.csv", body=sample)
    path = small_camp / "catalog" / "decp.yaml"
    descriptor = yaml.safe_load(path.read_text("utf-8"))
    descriptor["resources"][0]["x-camp"]["online_url"] = f"{http_server.url}/decp.csv"
    path.write_text(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False), "utf-8")
    monkeypatch.setenv("CAMP_ONLINE", "decp")
    with DagsterInstance.ephemeral() as instance:
        assert run_main(instance, "refresh_decp").success
        route.status, route.body = 404, b"gone"
        second = run_main(instance, "refresh_decp")
    assert not second.success
    check = publication_check(second)
    assert not check.passed
    assert "decp (marches) — en échec : la source répond 404" in check.description
    source = [e for e in second.get_asset_check_evaluations() if e.check_name == "source"]
    assert source and not source[0].passed


def test_camp_materialize_exits_non_zero_and_says_which_dataset_and_why(
    small_camp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pipelines.cli import main

    assert main(["materialize"]) == 0
    assert "réussi" in capsys.readouterr().out
    break_decp(small_camp)
    assert main(["materialize"]) == 1
    out = capsys.readouterr().out
    assert "EN ÉCHEC" in out
    assert "Non publiés (la publication précédente reste en ligne pour eux) :" in out
    line = next(line for line in out.splitlines() if line.startswith("  decp (marches) — bloqué"))
    assert "% de lignes invalides, au-delà de la limite de 50,0 %" in line
    assert "camp_publication" in out  # the other datasets were published again
