"""`make bench-reports` at 2,000 carts: the generated carts load, and every page's report
counts what the generator put in (carts, holdout, arms, conversions in the window and their
revenue); the table and the last line show each query. Never how fast anything was."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest

from devstack.bench_reports import (
    PAGES,
    SHOPS,
    ReportsBench,
    Truth,
    run_bench_reports,
    shop_names,
)
from devstack.stack import postgres
from reports.model import JourneyReport
from tests.support.database import needs_postgres_binaries

CARTS = 2_000
QUERIES = (
    "carts_by_currency",
    "totals_by_release",
    "totals_by_arm",
    "carts_at_splits",
    "totals_by_step",
    "totals_by_day",
    "recent_entries",
    "arms_of_runs",
    "decisions_of",
    "journey_report",
)

pytestmark = [pytest.mark.bench, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def database_of_its_own() -> Iterator[str]:
    needs_postgres_binaries("the report bench")
    with postgres("cartnudge_reports") as url:
        yield url


@pytest.fixture(scope="module")
async def bench(database_of_its_own: str) -> ReportsBench:
    result = await run_bench_reports(database_of_its_own, carts=CARTS, runs=2)
    print(f"\n{result.table()}\n{result.summary}")
    return result


def _totals(truth: Truth, shops: list[str]) -> tuple[int, int, int, int, Decimal]:
    """Carts, held-out carts, treated and held-out conversions, revenue in the window."""
    held = sum(truth.held_out[shop] for shop in shops)
    held_conversions = sum(truth.held_conversions[shop] for shop in shops)
    conversions = sum(truth.conversions[shop] for shop in shops)
    revenue = sum((truth.revenue.get(shop, Decimal(0)) for shop in shops), Decimal(0))
    return (
        sum(truth.carts[shop] for shop in shops),
        held,
        conversions - held_conversions,
        held_conversions,
        revenue,
    )


def _counted(report: JourneyReport) -> tuple[int, int, int, int, Decimal]:
    holdout = report.holdout
    assert holdout is not None
    return (
        report.treated.carts + holdout.carts,
        holdout.carts,
        report.treated.conversions,
        holdout.conversions,
        Decimal(str(report.treated.revenue + holdout.revenue)).quantize(Decimal("0.01")),
    )


def test_the_generator_made_the_shapes_asked_for(bench: ReportsBench) -> None:
    truth = bench.truth
    carts = sum(truth.carts.values())
    assert carts == CARTS == truth.rows["entries"]
    assert len(truth.carts) == SHOPS
    assert 0.15 < truth.carts[shop_names()[0]] / carts < 0.25  # the big shop
    held = sum(truth.held_out.values())
    assert 0.07 < held / carts < 0.13
    assert truth.rows["assignments"] == carts - held == sum(truth.arms.values())
    assert 2.0 < truth.rows["messages"] / (carts - held) < 3.0
    assert 0.08 < sum(truth.conversions.values()) / carts < 0.16
    assert truth.late_orders > 0  # orders after the window, which no report counts
    assert truth.rows["orders"] == sum(truth.conversions.values()) + truth.late_orders
    assert 0 < truth.rows["outcomes"] <= carts


@pytest.mark.parametrize("page", PAGES[:3])
def test_each_page_counts_what_the_generator_put_in(bench: ReportsBench, page: str) -> None:
    shops = {
        "whole journey": shop_names(),
        "big shop": [shop_names()[0]],
        "small shop": [min(shop_names(), key=lambda shop: bench.truth.carts[shop])],
    }[page]
    report = bench.reports[page]

    assert _counted(report) == _totals(bench.truth, shops)
    assert report.other_currency_carts == 0


def test_the_arms_hold_every_treated_cart(bench: ReportsBench) -> None:
    [experiment] = bench.reports["whole journey"].experiments
    assert {arm.name: arm.carts for arm in experiment.arms} == dict(bench.truth.arms)
    assert sum(arm.conversions for arm in experiment.arms) == (
        sum(bench.truth.conversions.values()) - sum(bench.truth.held_conversions.values())
    )


def test_the_last_seven_days_are_fewer_carts_of_every_shop(bench: ReportsBench) -> None:
    week, whole = bench.reports["last 7 days"], bench.reports["whole journey"]
    assert week.holdout is not None and whole.holdout is not None
    carts = week.treated.carts + week.holdout.carts
    assert 0.05 < carts / CARTS < 0.10  # 7 of 90 days
    assert len(week.daily) in (7, 8)
    assert week.treated.conversions < whole.treated.conversions


def test_the_table_has_a_line_per_query_and_page(bench: ReportsBench) -> None:
    table = bench.table()
    for page in PAGES:
        for query in QUERIES:
            assert re.search(
                rf"^  {re.escape(page)} +{query} +median +\d+\.\d ms +max +\d+\.\d ms$",
                table,
                re.M,
            ), (page, query)
    assert f"{CARTS:,} carts of {SHOPS} shops" in table
    match = re.fullmatch(r"bench-reports: carts=(\d+) slowest_page_ms=(\d+)", bench.summary)
    assert match, bench.summary
    assert int(match.group(1)) == CARTS
    pages = [t for t in bench.timings if t.query == "journey_report"]
    assert int(match.group(2)) == round(max(t.median_ms for t in pages))
