"""The raw step: fetch a resource's source and replace its raw table with what the reader read.

Plain functions over a `Settings`; no Dagster import.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..catalog.model import Resource
from ..read import ReadError, read_resource
from ..settings import Settings
from ..sources.fetch import fetch
from ..sources.http import FetchError, FetchResult
from ..warehouse.database import connect, load_frame, table_exists
from .outcome import Outcome, State

# A transient source failure (network, 5xx) is tried again this many times, with backoff,
# before the step reports it failed; the Dagster wrapper builds its RetryPolicy from it.
FETCH_RETRIES = 2


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


def read_options(resource: Resource, online: bool = False) -> dict[str, Any]:
    """The reader options; `online_read` overrides them for an online file of other shape."""
    options = {"format": resource.format, **resource.read_options}
    if online:
        options.update(resource.online_read)
    return options


def read_options_for(resource: Resource, settings: Settings) -> dict[str, Any]:
    return read_options(resource, is_online_source(resource, settings))


def raw_dir(resource: Resource, settings: Settings) -> Path:
    return settings.raw_dir / resource.dataset / resource.name


def load_file(
    con: duckdb.DuckDBPyConnection, resource: Resource, path: Path, options: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    """Read a fetched file as the descriptor says and replace the raw table with it; the
    pipeline and `camp validate` both read through here. Returns rows and detection."""
    result = read_resource(path, options)
    return load_frame(con, resource.table("raw"), result.frame), result.detection


def ingest_raw(resource: Resource, settings: Settings) -> RawResult:
    """Fetch the source, read it and replace the resource's raw table."""
    fetched = fetch(
        source_for(resource, settings),
        raw_dir(resource, settings),
        **request_options(resource, settings),
    )
    table = resource.table("raw")
    with connect(settings.warehouse_path) as con:
        rows, detection = load_file(
            con, resource, fetched.path, read_options_for(resource, settings)
        )
    return RawResult(table=table, rows=rows, fetch=fetched, detection=detection)


def is_transient(error: Exception) -> bool:
    """Worth another try: a network error or a 5xx, never a 4xx or a bad file."""
    status = getattr(error, "status", None)
    return isinstance(error, FetchError) and (status is None or status >= 500)


def run_raw(resource: Resource, settings: Settings, attempt: int = 0) -> Outcome:
    """The raw step with its policy: a new table (published, or unchanged when the source
    answered the same bytes), or a failure that keeps the previous table, marked for retry
    while a transient error has attempts left (`attempt` counts the retries already made)."""
    table = resource.table("raw")
    try:
        result = ingest_raw(resource, settings)
    except (FetchError, ReadError) as error:
        with connect(settings.warehouse_path) as con:
            kept = table_exists(con, table)
        kept_text = (
            "la version précédente reste en ligne" if kept else "rien n'a encore été récupéré"
        )
        return Outcome(
            table=table,
            state=State.FAILED,
            reason=f"Source en échec : {error} ; {kept_text}.",
            error=error,
            retry=is_transient(error) and attempt < FETCH_RETRIES,
            kept_previous=kept,
        )
    state = State.PUBLISHED if result.fetch.changed else State.UNCHANGED
    reason = (
        f"{result.rows} lignes lues depuis la source"
        if state is State.PUBLISHED
        else f"source inchangée ; {result.rows} lignes relues"
    )
    return Outcome(table=table, state=state, reason=reason, result=result)
