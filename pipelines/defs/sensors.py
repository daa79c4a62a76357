"""The change-detection sensor: refresh a dataset only when one of its sources changed.

Each tick probes the resources whose adaptive interval has elapsed (see `changes`), compares
with what the last fetch processed (its `state.json`), and asks for the dataset's refresh
job when something changed. The run key is the new fingerprint, so one change launches one
run however many ticks see it. The cursor keeps each source's interval; a copy goes to the
build folder for the status table's "prochaine vérification".
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from ..catalog.model import Dataset, Resource
from ..settings import Settings, get_settings
from ..sources.changes import (
    Probe,
    SourceWatch,
    dump_watches,
    load_watches,
    probe,
    read_watches,
    save_watches,
)
from ..sources.http import read_state

SENSOR_NAME = "source_changes"
TICK_SECONDS = 15 * 60
log = logging.getLogger(__name__)


def watch_key(resource: Resource) -> str:
    return f"{resource.dataset}/{resource.name}"


def _source(resource: Resource, settings: Settings) -> tuple[str, dict, dict]:
    """The source the next fetch would read, what the last fetch of it processed, and how
    the fetch asks it (headers, pagination)."""
    from ..steps.raw import raw_dir, request_options, source_for  # ingest pulls in the validator

    source = source_for(resource, settings)
    state = read_state(raw_dir(resource, settings))
    processed = state if state.get("source") == source else {}
    return source, processed, request_options(resource, settings)


def evaluate(
    datasets: list[Dataset],
    watches: dict[str, SourceWatch],
    now: datetime,
    settings: Settings,
    *,
    prober: Callable[..., Probe] = probe,
) -> tuple[dict[str, str], dict[str, SourceWatch], dict[str, Probe]]:
    """Probe the due sources; returns {dataset: run key} to refresh, new watches, probes."""
    to_run: dict[str, str] = {}
    watches = dict(watches)
    probes: dict[str, Probe] = {}
    for dataset in datasets:
        changed: list[str] = []
        for resource in dataset.resources:
            key = watch_key(resource)
            watch = watches.get(key, SourceWatch())
            if not watch.is_due(now):
                continue
            source, processed, options = _source(resource, settings)
            result = prober(source, processed or watch.fingerprint, **options)
            probes[key] = result
            watches[key] = watch.after(result, now)
            if result.changed:
                changed.append(json.dumps([key, result.fingerprint], sort_keys=True))
            elif result.changed is None:
                # A run records the failure, so the explained status can say why; once a day.
                log.warning("CAMP-SOURCE %s unreachable: %s", key, result.error)
                day = now.strftime("%Y-%m-%d")
                changed.append(json.dumps([key, "error", result.http_status, day]))
        if changed:
            digest = hashlib.sha256("".join(sorted(changed)).encode()).hexdigest()[:16]
            to_run[dataset.name] = f"{dataset.name}:{digest}"
    return to_run, watches, probes


def build_change_sensor(
    datasets: list[Dataset], job_names: dict[str, str], jobs: list
) -> SensorDefinition:
    """One sensor for the whole catalogue; `job_names` maps a dataset to its refresh job."""

    @sensor(
        name=SENSOR_NAME,
        jobs=jobs,
        minimum_interval_seconds=TICK_SECONDS,
        default_status=DefaultSensorStatus.RUNNING,
        description="Demande à chaque source si elle a changé (ETag, Last-Modified, taille, "
        "sha256) et n'actualise que les jeux de données dont la source a changé ; chaque "
        "source est interrogée toutes les 12 h, puis 1 j, 7 j, 30 j tant qu'elle ne change pas.",
    )
    def source_changes(context: SensorEvaluationContext) -> SensorResult | SkipReason:
        settings = get_settings()
        now = datetime.now(UTC)
        to_run, watches, probes = evaluate(datasets, load_watches(context.cursor), now, settings)
        save_watches(settings.build_dir, watches)
        cursor = dump_watches(watches)
        if not to_run:
            context.update_cursor(cursor)
            checked = ", ".join(
                f"{k}: {'erreur' if p.changed is None else 'inchangée'}" for k, p in probes.items()
            )
            return SkipReason(f"no source changed ({checked or 'nothing due'})")
        requests = [
            RunRequest(
                run_key=run_key,
                job_name=job_names[name],
                tags={"dataset": name, "trigger": SENSOR_NAME},
            )
            for name, run_key in sorted(to_run.items())
        ]
        return SensorResult(run_requests=requests, cursor=cursor)

    return source_changes


def build_refresh_schedule(
    dataset: Dataset, job: Any, timezone: str = "Europe/Paris"
) -> ScheduleDefinition:
    """The descriptor's cron, change-aware: at each tick the dataset's sources are asked
    (whatever their adaptive interval) and the refresh job runs only if one changed or
    failed, so an unchanged dataset is never re-processed."""

    def check_then_refresh(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
        settings = get_settings()
        known = read_watches(settings.build_dir)
        now = datetime.now(UTC)
        # every source of the dataset is asked at a scheduled tick, whatever its interval
        due = {key: replace(watch, due_at=None) for key, watch in known.items()}
        to_run, watches, probes = evaluate([dataset], due, now, settings)
        save_watches(settings.build_dir, {k: watches[k] for k in probes})
        if dataset.name not in to_run:
            return SkipReason(f"{dataset.name}: no source changed ({len(probes)} asked)")
        return RunRequest(tags={"dataset": dataset.name, "trigger": "schedule"})

    return ScheduleDefinition(
        name=f"{dataset.name}_schedule",
        job=job,
        cron_schedule=dataset.schedule or "",
        execution_timezone=timezone,
        execution_fn=check_then_refresh,
        default_status=DefaultScheduleStatus.RUNNING,
        description=f"D'après catalog/{dataset.descriptor_path.name} (x-camp.schedule) ; "
        "ne lance le run que si une source a changé (ou échoue).",
    )
