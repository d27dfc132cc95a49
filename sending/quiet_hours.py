"""Quiet hours: the local hours in which no customer message goes out.

Judged in the customer's timezone, else the shop's. A message due inside the window is
deferred to the window's end, never dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from workflows.payloads import QuietWindow


def customer_zone(*names: str | None) -> ZoneInfo:
    """The first valid zone of `names` (the customer's, the shop's, the deployment's), else
    UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def quiet_until(at: datetime, zone: ZoneInfo, hours: QuietWindow) -> datetime | None:
    """When the quiet window around `at` ends (UTC), or None if `at` is outside it."""
    local = at.astimezone(zone)
    start, end = _clock(hours.start), _clock(hours.end)
    now = local.time()
    if start < end:  # e.g. 13:00-14:00, within one day
        if not start <= now < end:
            return None
        end_day = local.date()
    else:  # e.g. 21:00-09:00, across midnight
        if end <= now < start:
            return None
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(UTC)


def describe(hours: QuietWindow, zone: ZoneInfo) -> str:
    return f"quiet hours {hours.start}-{hours.end} in {zone.key}"


def _clock(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))
