"""The alert sensors: after each run, its failed checks and steps go to the officer.

Thin Dagster wrappers around `alerts`: one run-failure sensor (a blocked validation, a failed
source, a crashed step) and one success sensor (a green run whose `quality` check failed, or
a blocked dataset in a run that still succeeded). What they send is what the run's checks
said, in French, with a link to the run in the Dagster UI.
"""

from __future__ import annotations

from dataclasses import replace

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DagsterRun,
    DagsterRunStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunStatusSensorContext,
    SensorDefinition,
    run_failure_sensor,
    run_status_sensor,
)

from ..ops.alerts import Alert, AlertSettings, send

FAILED_RUNS_SENSOR = "alert_failed_runs"
CHECKS_SENSOR = "alert_failed_checks"
# What a failed check means for the officer; the publication's own check repeats these.
STATE_BY_CHECK = {"source": "en échec", "validation": "bloqué", "quality": "régression de qualité"}
_said_unconfigured: set[str] = set()  # "nothing configured" is logged once per process


def split_table(name: str) -> tuple[str, str | None]:
    """`core_decp__marches` → (`decp`, `marches`); any other name → (name, None)."""
    layer, _, rest = name.partition("_")
    dataset, _, resource = rest.partition("__")
    if layer in ("raw", "core", "mart") and dataset and resource:
        return dataset, resource
    return name, None


def run_alerts(
    instance: DagsterInstance, run: DagsterRun, step_failures: list, settings: AlertSettings
) -> list[Alert]:
    """The alerts of one finished run: its failed checks, then the steps that failed for
    another reason than a failed blocking check."""
    url = settings.run_url(run.run_id)
    records = instance.get_records_for_run(
        run.run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    alerts: list[Alert] = []
    explained: set[str] = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event else None
        if evaluation is None or evaluation.passed:
            continue
        state = STATE_BY_CHECK.get(evaluation.check_name)
        if state is None:
            continue
        table = evaluation.asset_key.to_user_string()
        dataset, resource = split_table(table)
        reason = evaluation.description or f"la vérification {evaluation.check_name} a échoué"
        alerts.append(Alert(dataset, resource, state, reason, run.run_id, run.job_name, url))
        explained.add(table)
    for failure in step_failures:
        if failure.step_key in explained:
            continue
        error = failure.event_specific_data.error
        message = error.message.strip().splitlines()[0][:500] if error else "erreur inconnue"
        dataset, resource = split_table(failure.step_key or run.job_name)
        reason = f"l'étape {failure.step_key} a échoué : {message}"
        alerts.append(Alert(dataset, resource, "en échec", reason, run.run_id, run.job_name, url))
    return merge(alerts)


def merge(alerts: list[Alert]) -> list[Alert]:
    """One alert per table and run: the worst state, every reason (a blocked validation
    usually comes with a quality regression saying the same thing from another angle)."""
    order = ("en échec", "bloqué", "régression de qualité")
    merged: dict[tuple[str, str | None], Alert] = {}
    for alert in alerts:
        key = (alert.dataset, alert.resource)
        known = merged.get(key)
        if known is None:
            merged[key] = alert
            continue
        worst = min(known.state, alert.state, key=lambda s: order.index(s) if s in order else 9)
        merged[key] = replace(known, state=worst, reason=f"{known.reason} ; {alert.reason}")
    return list(merged.values())


def notify(context: RunStatusSensorContext, step_failures: list) -> list[Alert]:
    """Send the run's alerts on the configured channels; returns what was sent."""
    settings = AlertSettings.from_env()
    if not settings.channels:
        if context.sensor_name not in _said_unconfigured:
            _said_unconfigured.add(context.sensor_name)
            context.log.info(
                "No alert channel configured (CAMP_ALERT_WEBHOOK, or CAMP_SMTP_HOST with "
                "CAMP_ALERT_EMAIL): alerts stay in the runs' logs; nothing is sent."
            )
        return []
    alerts = run_alerts(context.instance, context.dagster_run, step_failures, settings)
    if not alerts:
        return []
    for channel, outcome in send(alerts, settings).items():
        if outcome == "ok":
            context.log.info(
                f"{len(alerts)} alert(s) of run {context.dagster_run.run_id} sent by {channel}"
            )
        else:
            context.log.error(
                f"alerts of run {context.dagster_run.run_id} not sent by {channel}: {outcome}"
            )
    return alerts


def build_alert_sensors() -> list[SensorDefinition]:
    @run_failure_sensor(
        name=FAILED_RUNS_SENSOR,
        default_status=DefaultSensorStatus.RUNNING,
        description="Prévient l'officier (webhook CAMP_ALERT_WEBHOOK, e-mail CAMP_ALERT_EMAIL) "
        "quand un run échoue : jeu de données bloqué, source en échec, étape en erreur.",
    )
    def alert_failed_runs(context: RunFailureSensorContext) -> None:
        notify(context, list(context.get_step_failure_events()))

    @run_status_sensor(
        run_status=DagsterRunStatus.SUCCESS,
        name=CHECKS_SENSOR,
        default_status=DefaultSensorStatus.RUNNING,
        description="Prévient l'officier quand un run réussi signale une vérification en "
        "échec (régression de qualité).",
    )
    def alert_failed_checks(context: RunStatusSensorContext) -> None:
        notify(context, [])

    return [alert_failed_runs, alert_failed_checks]
