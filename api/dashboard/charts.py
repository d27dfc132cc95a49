"""Inline SVG drawn on the server: the daily revenue chart and interval bars. No script,
no library: the page is complete as it arrives, and prints as it looks."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from api.dashboard.formatting import money, percent
from reports.model import DayFigures, Interval

RECOVERED = "#2f6fb3"
INCREMENTAL = "#2e9e6a"
NEGATIVE = "#c4513b"

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 96, 12, 14, 34
MAX_DAY_LABELS = 8
MIN_LABEL_GAP = 14  # px between two amounts on the axis


def _n(value: float) -> str:
    return f"{value:.1f}"


def daily_revenue_chart(days: Sequence[DayFigures], currency: str) -> Markup:
    """Bars per day: recovered revenue, and incremental revenue next to it (below the zero
    line when the holdout did better; none without a holdout). Each bar's tooltip says its
    day and amount."""
    if not days:
        return Markup('<p class="empty">No carts in this period yet.</p>')
    values = [day.revenue for day in days] + [
        day.incremental_revenue for day in days if day.incremental_revenue is not None
    ]
    high, low = max(0.0, *values), min(0.0, *values)
    if high == low:
        high = 1.0
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM

    def y(value: float) -> float:
        return y0 + (high - value) / (high - low) * (y1 - y0)

    days = sorted(days, key=lambda figures: figures.day)
    first = days[0].day
    span = (days[-1].day - first).days + 1  # a day without carts keeps its place, empty
    slot = (x1 - x0) / span
    bar = slot * 0.38
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img"'
        ' aria-label="Recovered and incremental revenue per day" data-testid="daily-chart"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    labelled: list[float] = []
    for value in sorted({0.0, high, low}, key=abs):  # zero first: it is always labelled
        if any(abs(y(value) - y(other)) < MIN_LABEL_GAP for other in labelled):
            continue
        labelled.append(value)
        parts.append(
            f'<line x1="{x0}" x2="{x1}" y1="{_n(y(value))}" y2="{_n(y(value))}"'
            f' stroke="{"#888" if value == 0 else "#ddd"}" stroke-width="1"/>'
            f'<text x="{x0 - 6}" y="{_n(y(value) + 4)}" text-anchor="end" class="axis">'
            f"{escape(money(value, currency))}</text>"
        )
    every = math.ceil(span / MAX_DAY_LABELS)
    for day in days:
        index = (day.day - first).days
        left = x0 + index * slot + slot * 0.1
        drawn = [(0.0, day.revenue, RECOVERED, "recovered")]
        if (incremental := day.incremental_revenue) is not None:
            color = INCREMENTAL if incremental >= 0 else NEGATIVE
            drawn.append((bar, incremental, color, "incremental"))
        for offset, value, color, what in drawn:
            top, bottom = y(max(value, 0.0)), y(min(value, 0.0))
            title = f"{day.day:%Y-%m-%d}: {what} {money(value, currency)}"
            parts.append(
                f'<rect x="{_n(left + offset)}" y="{_n(top)}" width="{_n(bar)}"'
                f' height="{_n(max(bottom - top, 0.5))}" fill="{color}">'
                f"<title>{escape(title)}</title></rect>"
            )
        if index % every == 0:
            parts.append(
                f'<text x="{_n(left + bar)}" y="{HEIGHT - 12}" text-anchor="middle" class="axis">'
                f"{day.day:%b %d}</text>"
            )
    parts.append("</svg>")
    recovered = f'<span class="swatch" style="background:{RECOVERED}"></span> Recovered revenue'
    if any(day.incremental_revenue is not None for day in days):
        second = (
            f' <span class="swatch" style="background:{INCREMENTAL}"></span> Incremental revenue'
            f' vs holdout (<span class="swatch" style="background:{NEGATIVE}"></span> below'
            " zero: the holdout did better that day)"
        )
    else:
        second = " (no holdout: what would have sold anyway is unknown)"
    legend = f'<p class="legend">{recovered}{second}</p>'
    return Markup("".join(parts) + legend)


def scale_for(intervals: Iterable[Interval]) -> float:
    """A common right end for interval bars drawn side by side: the largest bound known."""
    ends = [
        value
        for interval in intervals
        for value in (interval.estimate, interval.high)
        if math.isfinite(value)
    ]
    return max([0.01, *ends]) * 1.05


def interval_bar(interval: Interval, *, scale: float, label: str) -> Markup:
    """A rate and its 95% interval on a 0..scale line: the band is the interval, the dot
    the estimate. An unbounded side runs to the edge, dashed."""
    width, height, pad = 240, 22, 6

    def x(value: float) -> float:
        clamped = min(max(value, 0.0), scale)
        return pad + clamped / scale * (width - 2 * pad)

    low_open, high_open = not math.isfinite(interval.low), not math.isfinite(interval.high)
    low = x(0.0 if low_open else interval.low)
    high = x(scale if high_open else interval.high)
    dash = ' stroke-dasharray="3 2"' if low_open or high_open else ""
    title = f"{label}: {percent(interval.estimate)}"
    if not (low_open or high_open):
        title += f", 95% interval {percent(interval.low)} to {percent(interval.high)}"
    return Markup(
        f'<svg class="interval" viewBox="0 0 {width} {height}" width="{width}"'
        f' height="{height}" role="img" aria-label="{escape(title)}"'
        ' xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{pad}" x2="{width - pad}" y1="11" y2="11" stroke="#ddd" stroke-width="2"/>'
        f'<rect x="{_n(low)}" y="6" width="{_n(max(high - low, 1.0))}" height="10" rx="3"'
        f' fill="#9cc0e6" stroke="#2f6fb3"{dash}/>'
        f'<circle cx="{_n(x(interval.estimate))}" cy="11" r="4" fill="#1d4f85"/>'
        "</svg>"
    )
