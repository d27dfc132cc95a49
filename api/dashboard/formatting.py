"""Numbers as a marketer reads them: percents with one decimal, money with two and the
currency, intervals in words. The templates use these as filters, and the browser test
reads the page back through the same rules."""

from __future__ import annotations

import math
from datetime import datetime

from reports.model import Interval, Lift

NOT_ENOUGH = "not enough data yet"


def count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def percent(value: float | None) -> str:
    """0.1234 -> "12.3%"."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value * 100:.1f}%"


def money(value: float | None, currency: str) -> str:
    """1299.9, "TRY" -> "1,299.90 TRY"."""
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:,.2f} {currency}"


def signed_money(value: float, currency: str) -> str:
    return ("+" if value > 0 else "") + money(value, currency)


def points(value: float) -> str:
    """A difference of two rates in percentage points: 0.02 -> "+2.0 points"."""
    if not math.isfinite(value):
        return "–"
    return f"{value * 100:+.1f} points"


def signed_percent(value: float) -> str:
    if not math.isfinite(value):
        return "–"
    return f"{value * 100:+.1f}%"


def bounded(interval: Interval) -> bool:
    return math.isfinite(interval.low) and math.isfinite(interval.high)


def percent_range(interval: Interval) -> str:
    """The 95% interval of a rate: "10.1% to 14.5%". A rate is never below 0% or above
    100%, whatever the interval's arithmetic says at few carts."""
    if not bounded(interval):
        return NOT_ENOUGH
    return f"{percent(max(interval.low, 0.0))} to {percent(min(interval.high, 1.0))}"


def money_range(interval: Interval, currency: str) -> str:
    if not bounded(interval):
        return NOT_ENOUGH
    return f"{money(interval.low, currency)} to {money(interval.high, currency)}"


def lift_text(lift: Lift) -> str:
    """A conversion lift in words: "+2.0 points (95% interval -0.5 to +4.5 points)"."""
    absolute = lift.absolute
    if not bounded(absolute):
        return f"{points(absolute.estimate)} ({NOT_ENOUGH})"
    return (
        f"{points(absolute.estimate)} (95% interval {absolute.low * 100:+.1f}"
        f" to {absolute.high * 100:+.1f} points)"
    )


def revenue_lift_text(lift: Lift, currency: str) -> str:
    """A revenue-per-cart lift: "+1.20 TRY per cart (95% interval ...)"."""
    absolute = lift.absolute
    head = f"{signed_money(absolute.estimate, currency)} per cart"
    if not bounded(absolute):
        return f"{head} ({NOT_ENOUGH})"
    return (
        f"{head} (95% interval {signed_money(absolute.low, currency)}"
        f" to {signed_money(absolute.high, currency)})"
    )


def p_value(value: float) -> str:
    """ "p = 0.0312", "p < 0.0001"."""
    return "p < 0.0001" if value < 0.0001 else f"p = {value:.4f}"


def when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC"
