"""Change detection without downloading, in the manner of data.gouv.fr's crawler.

`probe` asks a source for its headers (HEAD: ETag, Last-Modified, Content-Length) and
compares them with what the last fetch processed; where the server gives no validator, a
conditional GET and the sha256 of the body decide. A paginated API (no validator spans its
pages) is read whole and the sha256 of the combined listing decides, as the fetch does. Local
files compare size and sha256. `${VAR}` in the URL and headers is filled as for a fetch.
`next_interval` adapts how often a source is probed to how often it really changes: each
check that finds nothing new moves one step up the ladder (12 h → 1 d → 7 d → 30 d), a
change brings it back to the first step. No Dagster here: the sensor wraps it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from .http import CHUNK, FetchError, http_session, sha256_file
from .pagination import download_pages
from .template import Filled, MissingVariableError, fill, redacted_http_logs

LADDER_HOURS: tuple[float, ...] = (12.0, 24.0, 7 * 24.0, 30 * 24.0)
STATE_FILE = "changes.json"
_VALIDATORS = ("etag", "last_modified", "sha256")


@dataclass(frozen=True)
class Probe:
    source: str
    changed: bool | None  # None: the source could not be asked (see error)
    fingerprint: dict[str, Any] = field(default_factory=dict)
    http_status: int | None = None
    error: str | None = None
    method: str = "head"  # head, get, file

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def differs(previous: dict[str, Any], current: dict[str, Any]) -> bool | None:
    """Compare the strongest validator both sides have; None when none is shared."""
    for key in _VALIDATORS:
        if previous.get(key) and current.get(key):
            return previous[key] != current[key]
    return None


def _probe_file(path: Path, previous: dict[str, Any]) -> Probe:
    if not path.is_file():
        return Probe(str(path), None, error=f"{path}: fichier introuvable", method="file")
    size = path.stat().st_size
    if previous.get("bytes") not in (None, size):
        return Probe(str(path), True, {"bytes": size}, method="file")
    current = {"bytes": size, "sha256": sha256_file(path)}
    return Probe(str(path), differs(previous, current) is not False, current, method="file")


def _headers(response: requests.Response) -> dict[str, Any]:
    length = response.headers.get("Content-Length")
    return {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
        "bytes": int(length) if length and length.isdigit() else None,
    }


def _probe_pages(
    url: str,
    filled: Filled,
    pagination: str,
    previous: dict[str, Any],
    timeout: float,
    retries: int,
    backoff: float,
) -> Probe:
    data, _ = download_pages(pagination, url, filled, timeout, retries, backoff)
    current = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return Probe(url, differs(previous, current) is not False, current, 200, method="pages")


def _probe_http(
    url: str,
    filled: Filled,
    previous: dict[str, Any],
    timeout: float,
    retries: int,
    backoff: float,
) -> Probe:
    """`url` is the template, named in results; `filled` is what is actually requested."""
    with http_session(retries, backoff) as session, redacted_http_logs(filled):
        session.headers.update(filled.headers)
        head = session.head(filled.url, timeout=timeout, allow_redirects=True)
        if head.status_code < 400:
            current = _headers(head)
            verdict = differs(previous, current)
            if verdict is not None:
                return Probe(url, verdict, current, head.status_code)
        elif head.status_code not in (405, 501):  # HEAD refused: ask with a GET instead
            return Probe(
                url,
                None,
                http_status=head.status_code,
                error=f"HEAD {url} answered HTTP {head.status_code}",
            )
        conditional = {}
        if previous.get("etag"):
            conditional["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            conditional["If-Modified-Since"] = previous["last_modified"]
        with session.get(filled.url, headers=conditional, timeout=timeout, stream=True) as response:
            if response.status_code == 304:
                return Probe(url, False, dict(previous), 304, method="get")
            if response.status_code >= 400:
                return Probe(
                    url,
                    None,
                    http_status=response.status_code,
                    method="get",
                    error=f"GET {url} answered HTTP {response.status_code}",
                )
            digest = hashlib.sha256()
            for chunk in response.iter_content(CHUNK):
                digest.update(chunk)
            current = {**_headers(response), "sha256": digest.hexdigest()}
            verdict = differs(previous, current)
            return Probe(url, verdict is not False, current, response.status_code, method="get")


def probe(
    source: str,
    previous: dict[str, Any],
    *,
    headers: dict[str, str] | None = None,
    pagination: str | None = None,
    where: str = "the descriptor",
    timeout: float = 30.0,
    retries: int = 3,
    backoff: float = 0.5,
) -> Probe:
    """Has `source` changed since `previous` (a fetch state or an earlier fingerprint)?

    Transient errors (5xx, timeouts, connection resets) are retried with backoff; a source
    that still cannot be asked gives `changed=None` and the error. `headers` and
    `pagination` are the resource's `online_headers` and `online_pagination`.
    """
    if not source.startswith(("http://", "https://")):
        return _probe_file(Path(source), previous)
    try:
        filled = fill(source, headers, where)
    except MissingVariableError as error:
        return Probe(source, None, error=str(error))
    try:
        if pagination:
            return _probe_pages(source, filled, pagination, previous, timeout, retries, backoff)
        return _probe_http(source, filled, previous, timeout, retries, backoff)
    except FetchError as error:
        return Probe(source, None, http_status=error.status, error=str(error), method="pages")
    except requests.RequestException as error:
        return Probe(source, None, error=f"{type(error).__name__}: {filled.redact(str(error))}")


def next_interval(hours: float | None, changed: bool) -> float:
    """One step up the ladder when nothing changed; back to the first step on a change."""
    if changed or hours is None:
        return LADDER_HOURS[0]
    higher = [step for step in LADDER_HOURS if step > hours]
    return higher[0] if higher else LADDER_HOURS[-1]


@dataclass
class SourceWatch:
    """What the sensor remembers about one resource's source between ticks."""

    interval_hours: float = LADDER_HOURS[0]
    checked_at: str | None = None
    due_at: str | None = None  # None: check at the next tick
    changed_at: str | None = None
    last_error: str | None = None
    fingerprint: dict[str, Any] = field(default_factory=dict)

    def is_due(self, now: datetime) -> bool:
        return self.due_at is None or datetime.fromisoformat(self.due_at) <= now

    def after(self, result: Probe, now: datetime) -> SourceWatch:
        """The watch after a probe: errors are re-checked at the first step of the ladder."""
        if result.changed is None:
            hours = LADDER_HOURS[0]
        else:
            hours = next_interval(
                self.interval_hours if self.checked_at else None, bool(result.changed)
            )
        return SourceWatch(
            interval_hours=hours,
            checked_at=now.isoformat(),
            due_at=(now + timedelta(hours=hours)).isoformat(),
            changed_at=now.isoformat() if result.changed else self.changed_at,
            last_error=result.error,
            fingerprint=result.fingerprint or self.fingerprint,
        )


def load_watches(text: str | None) -> dict[str, SourceWatch]:
    """Parse a sensor cursor (JSON: `dataset/resource` → watch); empty on None or garbage."""
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        data = {}
    return {key: SourceWatch(**value) for key, value in data.items() if isinstance(value, dict)}


def dump_watches(watches: dict[str, SourceWatch]) -> str:
    return json.dumps({key: asdict(w) for key, w in sorted(watches.items())}, sort_keys=True)


def save_watches(build_dir: Path, watches: dict[str, SourceWatch]) -> None:
    """Merge into the copy beside the warehouse (the sensor and the schedules both probe;
    the latest check of each source wins), for the status table."""
    merged = read_watches(build_dir)
    for key, watch in watches.items():
        known = merged.get(key)
        if known is None or (watch.checked_at or "") >= (known.checked_at or ""):
            merged[key] = watch
    watches = merged
    path = Path(build_dir) / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(dump_watches(watches))
    tmp.replace(path)


def read_watches(build_dir: Path) -> dict[str, SourceWatch]:
    path = Path(build_dir) / STATE_FILE
    return load_watches(path.read_text() if path.is_file() else None)
