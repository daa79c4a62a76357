"""Time arithmetic for freshness: the next tick of a cron schedule, ages.

Plain Python (no Dagster) so the status table and the CLI can say when a dataset will next
be checked. Cron fields follow the usual five-field syntax: `*`, numbers, lists, ranges and
steps (`*/15`, `1-5`, `0,30`); day-of-month and day-of-week combine with OR when both are
restricted, as in Vixie cron.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Paris"
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 6))


def _field(text: str, low: int, high: int) -> set[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if base == "*":
            start, end = low, high
        elif "-" in base:
            start, end = (int(x) for x in base.split("-", 1))
        else:
            start = int(base)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high + 1):
            raise ValueError(f"cron value {part!r} outside {low}-{high}")
        values.update(v % 7 if high == 7 else v for v in range(start, end + 1, step))
    return values


def next_cron_tick(cron: str, after: datetime, timezone: str = TIMEZONE) -> datetime:
    """The first time strictly after `after` matching `cron` in `timezone` (returned in UTC
    offset-aware form)."""
    parts = cron.split()
    if len(parts) != 5:
        raise ValueError(f"expected a five-field cron, found {cron!r}")
    minutes, hours, days, months, weekdays = (
        _field(p, lo, 7 if i == 4 else hi)
        for i, (p, (lo, hi)) in enumerate(zip(parts, _BOUNDS, strict=True))
    )
    dom_any, dow_any = parts[2] == "*", parts[4] == "*"
    local = after.astimezone(ZoneInfo(timezone)).replace(second=0, microsecond=0)
    current = local + timedelta(minutes=1)
    for _ in range(366 * 24 * 60):
        weekday = (current.weekday() + 1) % 7  # cron: 0 = Sunday
        day_ok = (
            current.day in days and weekday in weekdays
            if dom_any or dow_any
            else current.day in days or weekday in weekdays
        )
        if current.month in months and day_ok and current.hour in hours:
            if current.minute in minutes:
                return current.astimezone(after.tzinfo or ZoneInfo("UTC"))
            current += timedelta(minutes=1)
        else:
            current = (current + timedelta(hours=1)).replace(minute=0)
    raise ValueError(f"cron {cron!r} never fires within a year")


def age_hours(since: datetime | None, now: datetime) -> float | None:
    if since is None:
        return None
    return round((now - since).total_seconds() / 3600, 1)
