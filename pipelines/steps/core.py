"""The core step: validate a raw table into staged core/quarantine/errors tables, promoted only
when the dataset's publication policy allows it, so bad data never replaces good data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from ..catalog.model import Resource, table_name
from ..french import percent
from ..settings import Settings
from ..validate import ValidationReport, validate_table
from ..warehouse.database import connect, drop_staged, promote, table_exists
from .outcome import Outcome, State


@dataclass
class CoreResult:
    table: str
    report: ValidationReport
    published: bool  # False: the policy blocked it and the previous core table stays
    reason: str

    def to_metadata(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "promoted": self.published,
            "policy": self.reason,
            **self.report.to_metadata(),
        }


def resolve_reference(resource: Resource):
    """Map a foreign key's `reference.resource` to a core table name.

    "" is the resource itself, "name" another resource of the same dataset,
    "dataset.name" a resource of another dataset.
    """

    def resolve(reference: str) -> str:
        if not reference:
            return resource.table("core")
        dataset, _, name = reference.rpartition(".")
        return table_name("core", dataset or resource.dataset, name)

    return resolve


def coordinate_pairs(resource: Resource) -> list[tuple[str, str]]:
    """The map columns, checked as a point inside France (swap detected)."""
    columns = resource.map_columns
    return [(columns["latitude"], columns["longitude"])] if columns else []


def policy_allows(report: ValidationReport, resource: Resource) -> tuple[bool, str]:
    """The descriptor's publication rule; the reason is French, for the data officer."""
    share = report.invalid_share
    limit = resource.max_invalid_share
    if report.rows_read and share > limit:
        return False, (
            f"{percent(share)} de lignes invalides, au-delà de la limite de {percent(limit)} "
            f"fixée par le descripteur (x-camp.publish.max_invalid_share) ; "
            f"la publication précédente reste en ligne"
        )
    return (
        True,
        f"lignes valides publiées : {percent(share)} de lignes invalides (limite {percent(limit)})",
    )


def check_raw(con: duckdb.DuckDBPyConnection, resource: Resource) -> CoreResult:
    """Validate the raw table of `con` into staged core/quarantine/errors with every check
    the descriptor asks for (coordinates included), then apply the publication policy:
    promote the staged tables, or drop them. The pipeline and `camp validate` both call this.
    """
    names = [resource.table(layer) for layer in ("core", "quarantine", "errors")]
    raw = resource.table("raw")
    if not table_exists(con, raw):
        raise LookupError(f"{raw} is missing from the warehouse: materialize it first")
    con.execute("SET search_path = 'staging,main'")  # validator writes land in staging
    try:
        report = validate_table(
            con,
            raw,
            resource.schema,
            valid=names[0],
            quarantine=names[1],
            errors=names[2],
            resolve_table=resolve_reference(resource),
            coordinates=coordinate_pairs(resource),
        )
    finally:
        con.execute("RESET search_path")
    allowed, reason = policy_allows(report, resource)
    if allowed:
        promote(con, names)
    else:
        drop_staged(con, names)
    return CoreResult(table=names[0], report=report, published=allowed, reason=reason)


def validate_core(resource: Resource, settings: Settings) -> CoreResult:
    """Validate the warehouse's raw table, then apply the policy."""
    with connect(settings.warehouse_path) as con:
        return check_raw(con, resource)


def run_core(resource: Resource, settings: Settings) -> Outcome:
    """The core step with its policy: published, blocked (the previous core table stays),
    or failed (an unexpected error, kept for the explained status)."""
    table = resource.table("core")
    try:
        result = validate_core(resource, settings)
    except Exception as error:  # any failure is an outcome; the wrapper re-raises it
        return Outcome(
            table=table,
            state=State.FAILED,
            reason=f"la validation a échoué : {error}",
            error=error,
        )
    if result.published:
        return Outcome(table=table, state=State.PUBLISHED, reason=result.reason, result=result)
    return Outcome(
        table=table,
        state=State.BLOCKED,
        reason=f"Publication bloquée : {result.reason}",
        result=result,
    )
