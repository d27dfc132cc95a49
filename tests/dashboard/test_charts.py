"""The inline SVG the journey page draws: what a reader sees in it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from api.dashboard.charts import daily_revenue_chart, interval_bar, scale_for
from reports.model import DayFigures, Interval


def day(number: int, revenue: float, incremental: float) -> DayFigures:
    return DayFigures(
        day=date(2026, 11, number), carts=10, conversions=1, revenue=revenue,
        holdout_carts=1, holdout_revenue=0, incremental_revenue=incremental,
    )  # fmt: skip


def bars(svg: str) -> list[tuple[float, float, str, str]]:
    """(y, height, colour, tooltip) of each bar."""
    return [
        (float(y), float(height), fill, title)
        for y, height, fill, title in re.findall(
            r'<rect x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)" fill="([^"]+)">'
            r"<title>([^<]+)</title>",
            svg,
        )
    ]


def test_each_day_has_a_recovered_and_an_incremental_bar_a_loss_below_zero() -> None:
    svg = str(daily_revenue_chart([day(28, 1000, 400), day(29, 500, -250)], "TRY"))

    drawn = bars(svg)
    titles = [title for _, _, _, title in drawn]
    assert titles == [
        "2026-11-28: recovered 1,000.00 TRY",
        "2026-11-28: incremental 400.00 TRY",
        "2026-11-29: recovered 500.00 TRY",
        "2026-11-29: incremental -250.00 TRY",
    ]
    (y_big, h_big, _, _), (y_inc, h_inc, _, _), _, (y_loss, h_loss, colour, _) = drawn
    assert h_big == pytest.approx(2.5 * h_inc, abs=0.2)  # in proportion to the amounts
    zero = y_big + h_big
    assert y_inc + h_inc == pytest.approx(zero)
    assert y_loss == pytest.approx(zero)  # the loss hangs below the zero line
    assert colour == "#c4513b"
    assert ">0.00 TRY</text>" in svg and ">1,000.00 TRY</text>" in svg


def test_no_days_say_so_instead_of_an_empty_frame() -> None:
    assert "No carts in this period yet" in str(daily_revenue_chart([], "TRY"))


def test_an_interval_bar_spans_its_bounds_and_an_unbounded_one_is_dashed() -> None:
    known = str(interval_bar(Interval(estimate=0.2, low=0.1, high=0.3), scale=0.4, label="fast"))
    unknown = str(
        interval_bar(Interval(estimate=0.2, low=float("-inf"), high=0.3), scale=0.4, label="slow")
    )

    assert "fast: 20.0%, 95% interval 10.0% to 30.0%" in known
    assert "stroke-dasharray" not in known and "stroke-dasharray" in unknown
    assert scale_for([Interval(estimate=0.2, low=0.1, high=float("inf"))]) == 0.2 * 1.05


def test_without_a_holdout_only_recovered_revenue_is_drawn() -> None:
    no_holdout = day(28, 1000, 0).model_copy(update={"incremental_revenue": None})

    svg = str(daily_revenue_chart([no_holdout], "TRY"))

    assert [title for _, _, _, title in bars(svg)] == ["2026-11-28: recovered 1,000.00 TRY"]
    assert "no holdout: what would have sold anyway is unknown" in svg


def test_a_day_without_carts_keeps_its_place_on_the_axis() -> None:
    svg = str(daily_revenue_chart([day(30, 100, 0), day(27, 100, 0), day(28, 100, 0)], "TRY"))

    lefts = [float(x) for x in re.findall(r'<rect x="([^"]+)"', svg)][::2]  # recovered bars
    assert re.findall(r">(Nov \d\d)</text>", svg) == ["Nov 27", "Nov 28", "Nov 30"]
    step = lefts[1] - lefts[0]
    assert lefts[2] - lefts[1] == pytest.approx(2 * step, abs=0.2)  # Nov 29 left empty
