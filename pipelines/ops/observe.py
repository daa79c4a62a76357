"""Record what each run saw, for the explained status and the quality history.

Plain functions called by the raw and core assets (inside the warehouse pool): each step's
outcome is recorded once (`record_outcome`): a journal line, then both `meta_camp__*`
tables rebuilt from the journal. No Dagster here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ..catalog.model import Dataset, Resource
from ..read import ReadError
from ..settings import Settings
from ..steps.core import CoreResult
from ..steps.outcome import Outcome, State
from ..steps.raw import RawResult
from ..warehouse.database import connect, table_exists
from . import journal
from .quality import Thresholds, fetch_events_of, key_completeness, regressions, source_changed_at
from .status import Served, write_meta_tables


def record_outcome(
    settings: Settings, resource: Resource, run_id: str, outcome: Outcome, datasets: list[Dataset]
) -> tuple[list[str], dict[str, Any]]:
    """Record a raw or core step's outcome once: its journal line, then the meta tables.
    Returns the quality regressions and figures of a validation (empty otherwise)."""
    alerts: list[str] = []
    quality: dict[str, Any] = {}
    is_raw = outcome.table == resource.table("raw")
    if outcome.state is State.FAILED:
        error = outcome.error
        if is_raw:
            journal.record(
                settings.build_dir,
                journal.FETCH,
                resource.dataset,
                resource.name,
                run_id=run_id,
                outcome="failed",
                error=str(error),
                http_status=getattr(error, "status", None),
                kind="read" if isinstance(error, ReadError) else "fetch",
            )
        else:
            journal.record(
                settings.build_dir,
                journal.VALIDATE,
                resource.dataset,
                resource.name,
                run_id=run_id,
                outcome="failed",
                published=False,
                error=f"{type(error).__name__}: {error}"[:300],
            )
    elif is_raw:
        record_fetch(settings, resource, run_id, outcome.result)
    else:
        alerts, quality = record_validation(settings, resource, run_id, outcome.result)
    refresh_meta(settings, datasets)
    return alerts, quality


def refresh_meta(settings: Settings, datasets: list[Dataset], served: Served | None = None) -> None:
    """Rebuild the status and quality tables of the warehouse from the journal; the status
    speaks of `served` (default: the publication `current.json` names)."""
    served = served or Served.read(settings.publish_dir)
    with connect(settings.warehouse_path) as con:
        write_meta_tables(con, datasets, settings.build_dir, datetime.now(UTC), served)


def upcoming_publication(settings: Settings, datasets: list[Dataset]) -> Served:
    """The publication about to be made: now, with every core table of the warehouse."""
    with connect(settings.warehouse_path) as con:
        tables = frozenset(
            r.table("core")
            for d in datasets
            for r in d.resources
            if table_exists(con, r.table("core"))
        )
    return Served(datetime.now(UTC).replace(microsecond=0), tables)


def record_fetch(settings: Settings, resource: Resource, run_id: str, result: RawResult) -> None:
    """Journal a successful fetch and read: what was fetched, its encoding and columns."""
    fetched = result.fetch
    with connect(settings.warehouse_path) as con:
        columns = [
            row[0]
            for row in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [result.table],
            ).fetchall()
        ]
    journal.record(
        settings.build_dir,
        journal.FETCH,
        resource.dataset,
        resource.name,
        run_id=run_id,
        outcome="ok",
        source=fetched.source,
        changed=fetched.changed,
        sha256=fetched.sha256,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        bytes=fetched.bytes,
        rows=result.rows,
        encoding=result.detection.get("encoding"),
        columns=columns,
    )


def record_validation(
    settings: Settings, resource: Resource, run_id: str, result: CoreResult
) -> tuple[list[str], dict[str, Any]]:
    """Record the run's quality row in the journal; returns the regressions found."""
    events = journal.read_events(settings.build_dir)
    with connect(settings.warehouse_path) as con:
        completeness = key_completeness(con, resource.table("raw"), resource.key_fields)
    report = result.report
    current = {
        "rows_read": report.rows_read,
        "rows_valid": report.rows_valid,
        "rows_quarantined": report.rows_quarantined,
        "invalid_share": round(float(report.invalid_share), 4),
        "errors_by_type": dict(report.errors_by_type),
        "completeness": completeness,
    }
    previous = [
        e
        for e in journal.select(
            events, step=journal.VALIDATE, dataset=resource.dataset, resource=resource.name
        )
        if e.get("rows_read") is not None
    ]
    thresholds = Thresholds.for_resource(resource)
    alerts = regressions(current, previous[-1] if previous else None, thresholds)
    changed_at = source_changed_at(fetch_events_of(events, resource))
    lag = round((datetime.now(UTC) - changed_at).total_seconds() / 3600, 2) if changed_at else None
    journal.record(
        settings.build_dir,
        journal.VALIDATE,
        resource.dataset,
        resource.name,
        run_id=run_id,
        published=result.published,
        reason=result.reason,
        alerts=alerts,
        source_lag_hours=lag,
        **current,
    )
    return alerts, {**current, "source_lag_hours": lag}
