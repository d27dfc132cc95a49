"""Quiet hours in local time: when a message due now may go out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sending.quiet_hours import customer_zone, quiet_until
from workflows.payloads import QuietWindow

NIGHT = QuietWindow(start="21:00", end="09:00")
LUNCH = QuietWindow(start="12:00", end="13:30")
ISTANBUL = customer_zone("Europe/Istanbul", "UTC")  # UTC+3 all year


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "allowed_at"),
    [
        (utc(22, 17, 59), None),  # 20:59 in Istanbul: not yet quiet
        (utc(22, 18, 0), utc(23, 6, 0)),  # 21:00: quiet until 09:00 the next morning
        (utc(22, 23, 30), utc(23, 6, 0)),  # 02:30 after midnight: the same morning
        (utc(23, 5, 59), utc(23, 6, 0)),  # 08:59
        (utc(23, 6, 0), None),  # 09:00: allowed again
    ],
)
def test_a_night_window_runs_across_midnight(due: datetime, allowed_at: datetime | None) -> None:
    assert quiet_until(due, ISTANBUL, NIGHT) == allowed_at


def test_a_window_within_one_day() -> None:
    assert quiet_until(utc(22, 9, 15), ISTANBUL, LUNCH) == utc(22, 10, 30)
    assert quiet_until(utc(22, 10, 30), ISTANBUL, LUNCH) is None


def test_the_same_moment_is_night_in_one_zone_and_day_in_another() -> None:
    moment = utc(22, 20, 0)  # 23:00 in Istanbul, 15:00 in New York
    assert quiet_until(moment, ISTANBUL, NIGHT) is not None
    assert quiet_until(moment, customer_zone("America/New_York", "UTC"), NIGHT) is None


def test_an_unknown_customer_zone_falls_back_to_the_shops() -> None:
    assert customer_zone("Mars/Olympus_Mons", "Europe/Istanbul").key == "Europe/Istanbul"
    assert customer_zone(None, "Europe/Istanbul").key == "Europe/Istanbul"
