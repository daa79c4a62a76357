"""The per-resource steps the Dagster assets wrap: fetch → read → load raw → validate → promote.

Plain functions over a `Settings`; no Dagster import. The validation results are staged and
promoted only when the dataset's publication policy allows it, so bad data never replaces
good data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .catalog import Resource, table_name
from .fetch import FetchResult, fetch
from .outcomes import percent
from .read import read_resource
from .settings import Settings
from .validate import ValidationReport, validate_table
from .warehouse import connect, count_rows, drop_staged, load_frame, promote, quote, table_exists


@dataclass
class RawResult:
    table: str
    rows: int
    fetch: FetchResult
    detection: dict[str, Any]

    def to_metadata(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows": self.rows,
            **{f"fetch_{k}": v for k, v in self.fetch.to_metadata().items()},
            "detection": self.detection,
        }


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


def is_online_source(resource: Resource, settings: Settings) -> bool:
    return bool(settings.is_online(resource.dataset) and resource.online_url)


def source_for(resource: Resource, settings: Settings) -> str:
    """The committed sample, or the real online source when the settings ask for it."""
    if is_online_source(resource, settings) and resource.online_url:
        return resource.online_url
    return str(resource.sample_path)


def request_options(resource: Resource, settings: Settings) -> dict[str, Any]:
    """How to ask the source (`fetch` and the change probe take the same): the online
    source's headers and pagination, and where to point a data officer on error."""
    online = is_online_source(resource, settings)
    return {
        "headers": resource.online_headers if online else None,
        "pagination": resource.online_pagination if online else None,
        "where": f"catalog/{resource.dataset}.yaml (resource `{resource.name}`)",
    }


def read_options_for(resource: Resource, settings: Settings) -> dict[str, Any]:
    """The reader options; `online_read` overrides them for an online file of other shape."""
    options = {"format": resource.format, **resource.read_options}
    if is_online_source(resource, settings):
        options.update(resource.online_read)
    return options


def raw_dir(resource: Resource, settings: Settings) -> Path:
    return settings.raw_dir / resource.dataset / resource.name


def ingest_raw(resource: Resource, settings: Settings) -> RawResult:
    """Fetch the source, read it and replace the resource's raw table."""
    fetched = fetch(
        source_for(resource, settings),
        raw_dir(resource, settings),
        **request_options(resource, settings),
    )
    result = read_resource(fetched.path, read_options_for(resource, settings))
    table = resource.table("raw")
    with connect(settings.warehouse_path) as con:
        rows = load_frame(con, table, result.frame)
    return RawResult(table=table, rows=rows, fetch=fetched, detection=result.detection)


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


def validate_core(resource: Resource, settings: Settings) -> CoreResult:
    """Validate the raw table into staged core/quarantine/errors, then apply the policy."""
    names = [resource.table(layer) for layer in ("core", "quarantine", "errors")]
    raw = resource.table("raw")
    with connect(settings.warehouse_path) as con:
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


def build_mart_table(settings: Settings, table: str, sql: str) -> int:
    """Replace a mart table with the result of its SELECT."""
    with connect(settings.warehouse_path) as con:
        con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS {sql}")
        return count_rows(con, table)
