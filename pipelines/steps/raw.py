"""The raw step: fetch a resource's source and replace its raw table with what the reader read.

Plain functions over a `Settings`; no Dagster import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalog.model import Resource
from ..read import read_resource
from ..settings import Settings
from ..sources.fetch import fetch
from ..sources.http import FetchResult
from ..warehouse.database import connect, load_frame


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
