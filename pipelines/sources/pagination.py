"""Cursor-paginated APIs fetched whole, page after page, into one file.

OpenAgenda v2 (`GET /v2/agendas/{agendaUID}/events`) answers a segment of at most `size`
events (default 20, at most 300) in the envelope `{"total", "events", "after", "sort"}`;
`after` is the cursor to send back as `after[]=...` for the next segment, and `null` once
the last one is reached (developers.openagenda.com, « Lecture d'événements » : Navigation,
Réponse, « Récupérer tous les événements »). All segments are combined into one envelope of
the same shape with `after: null`, which the OpenAgenda reader reads like a single answer.

The combined file is what is kept, so its sha256 says whether the source changed (no
ETag spans several pages). Any page failing fails the whole fetch before anything is
written: the previous good file and state stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

from .http import (
    USER_AGENT,
    FetchError,
    FetchResult,
    http_session,
    keep_snapshot,
    status_advice,
    utc_now,
)
from .template import Filled, redacted_http_logs

MAX_PAGES = 500  # 150 000 events at size=300: beyond that, filter the query instead


def with_cursor(url: str, after: list[Any] | None) -> str:
    """The URL of the segment following `after` (repeated `after[]` parameters)."""
    if not after:
        return url
    cursor = urlencode([("after[]", str(value)) for value in after])
    return f"{url}{'&' if '?' in url else '?'}{cursor}"


def _page(
    session: requests.Session,
    template: str,
    filled: Filled,
    after: list[Any] | None,
    number: int,
    timeout: float,
) -> dict[str, Any]:
    where = f"GET {template} (page {number})"
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json", **filled.headers}
    try:
        response = session.get(with_cursor(filled.url, after), headers=headers, timeout=timeout)
    except requests.RequestException as error:
        raise FetchError(
            f"{where} failed: {type(error).__name__}: {filled.redact(str(error))}; "
            "the previous good file is kept",
            source=template,
        ) from None
    if response.status_code >= 400:
        raise FetchError(
            f"{where} answered HTTP {response.status_code}: "
            f"{status_advice(response.status_code)}; the previous good file is kept",
            source=template,
            status=response.status_code,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("events"), list):
        raise FetchError(
            f"{where}: expected a JSON object with an `events` list (OpenAgenda v2 "
            f"envelope), found {response.text[:80]!r}; the previous good file is kept",
            source=template,
        )
    return body


def fetch_openagenda(
    session: requests.Session,
    template: str,
    filled: Filled,
    timeout: float,
    max_pages: int = MAX_PAGES,
) -> tuple[dict[str, Any], int]:
    """Every segment of an OpenAgenda events listing, combined; and the page count."""
    events: list[Any] = []
    first: dict[str, Any] = {}
    after: list[Any] | None = None
    for number in range(1, max_pages + 1):
        body = _page(session, template, filled, after, number, timeout)
        first = first or body
        events += body["events"]
        following = body.get("after")
        if not following or not body["events"]:
            combined = {
                "success": first.get("success", True),
                "total": first.get("total", len(events)),
                "events": events,
                "after": None,
                "sort": first.get("sort"),
            }
            return combined, number
        if following == after:
            raise FetchError(
                f"GET {template} (page {number}): the API gave back the same cursor "
                f"{following!r}; stopping instead of looping",
                source=template,
            )
        after = following
    raise FetchError(
        f"GET {template}: still more events after {max_pages} pages; narrow the query "
        "in `x-camp.online_url` (for example `relative[]=upcoming`) or raise the limit",
        source=template,
    )


PAGINATIONS = {"openagenda": fetch_openagenda}


def download_pages(
    pagination: str,
    template: str,
    filled: Filled,
    timeout: float,
    retries: int,
    backoff: float,
) -> tuple[bytes, int]:
    """Every page combined, as the stable bytes that are kept (and hashed); the page count."""
    if pagination not in PAGINATIONS:
        raise FetchError(
            f"unknown pagination {pagination!r} for {template}; "
            f"known: {', '.join(sorted(PAGINATIONS))}",
            source=template,
        )
    with http_session(retries, backoff) as session, redacted_http_logs(filled):
        combined, pages = PAGINATIONS[pagination](session, template, filled, timeout)
    # Stable bytes: the same events give the same sha256, so "changed" means changed.
    return json.dumps(combined, ensure_ascii=False, indent=1).encode("utf-8"), pages


def fetch_paginated(
    pagination: str,
    template: str,
    filled: Filled,
    dest_dir: Path,
    previous: dict,
    timeout: float,
    retries: int,
    backoff: float,
) -> FetchResult:
    """Fetch every page, then keep the combined file unless its content is unchanged."""
    data, pages = download_pages(pagination, template, filled, timeout, retries, backoff)
    tmp = dest_dir / f".download-{time.time_ns()}.part"
    tmp.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    path, changed = keep_snapshot(dest_dir, tmp, sha, ".json", previous)
    return FetchResult(
        source=template,
        path=path,
        sha256=sha,
        bytes=len(data),
        changed=changed,
        status="downloaded" if changed else "unchanged",
        fetched_at=utc_now(),
        pages=pages,
    )
