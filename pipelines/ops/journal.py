"""The run journal: one JSON line per fetch or validation outcome, per resource.

Status and quality history are derived from it, so they survive failed runs (a failing
fetch still leaves a line saying why) and can be rebuilt at any time. It lives in the build
folder beside the warehouse; appends happen inside steps that hold the warehouse pool, so
there is one writer at a time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

JOURNAL_FILE = "journal.jsonl"
FETCH, VALIDATE = "fetch", "validate"


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def journal_path(build_dir: Path) -> Path:
    return Path(build_dir) / JOURNAL_FILE


def record(build_dir: Path, step: str, dataset: str, resource: str, **fields: Any) -> dict:
    """Append one event; `at` defaults to now (UTC). Returns the event written."""
    event = {"at": now_iso(), "step": step, "dataset": dataset, "resource": resource, **fields}
    path = journal_path(build_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
    return event


def read_events(build_dir: Path) -> list[dict]:
    """Every event, oldest first; a torn last line (crash mid-write) is ignored."""
    path = journal_path(build_dir)
    if not path.is_file():
        return []
    events = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def select(
    events: Iterable[dict],
    *,
    step: str | None = None,
    dataset: str | None = None,
    resource: str | None = None,
) -> list[dict]:
    """The events matching every given key, in journal order."""
    return [
        e
        for e in events
        if (step is None or e.get("step") == step)
        and (dataset is None or e.get("dataset") == dataset)
        and (resource is None or e.get("resource") == resource)
    ]
