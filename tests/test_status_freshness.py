"""The next tick of a descriptor's cron (Europe/Paris) and French dates, for the status."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pipelines.french import french_date
from pipelines.ops.freshness import age_hours, next_cron_tick

# Friday 27 November 2026, 02:40 UTC = 03:40 in Paris (UTC+1 in winter)
AFTER = datetime(2026, 11, 27, 2, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cron", "expected_utc"),
    [
        ("0 6 * * *", datetime(2026, 11, 27, 5, 0)),  # 06:00 Paris today
        ("*/15 * * * *", datetime(2026, 11, 27, 2, 45)),
        ("0 9 * * 1", datetime(2026, 11, 30, 8, 0)),  # next Monday
        ("30 2 1 * *", datetime(2026, 12, 1, 1, 30)),  # first of the month
        ("0 3 * * 0,6", datetime(2026, 11, 28, 2, 0)),  # Saturday (6) before Sunday (0/7)
        ("0 3 * * 7", datetime(2026, 11, 29, 2, 0)),  # 7 is Sunday too
        ("0 12 1 * 5", datetime(2026, 11, 27, 11, 0)),  # day 1 OR Friday: today
        ("0 6 * 7 *", datetime(2027, 7, 1, 4, 0)),  # July, summer time (UTC+2)
    ],
)
def test_next_cron_tick(cron: str, expected_utc: datetime):
    assert next_cron_tick(cron, AFTER) == expected_utc.replace(tzinfo=UTC)


def test_the_tick_is_strictly_after():
    at_six = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)
    assert next_cron_tick("0 6 * * *", at_six) == datetime(2026, 11, 28, 5, 0, tzinfo=UTC)


@pytest.mark.parametrize("cron", ["0 6 * *", "61 * * * *", "0 25 * * *", "0 0 31 2 *"])
def test_bad_or_impossible_cron_is_refused(cron: str):
    with pytest.raises(ValueError):
        next_cron_tick(cron, AFTER)


def test_french_dates_and_ages():
    this_year = datetime.now(UTC).year
    assert french_date(datetime(this_year, 3, 3, 5, 0, tzinfo=UTC)) == "3 mars à 06:00"
    assert french_date(datetime(2001, 8, 1, 12, tzinfo=UTC), with_time=False) == "1 août 2001"
    assert age_hours(AFTER.replace(hour=0, minute=40), AFTER) == 2.0
    assert age_hours(None, AFTER) is None
