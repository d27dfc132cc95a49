"""`make bench` at a tiny size: the whole stack comes up, every part is measured, the report reads.

Only the report's shape and that every number is there (positive, counted from real runs) are
checked, never how fast anything was: speed is measured by `make bench`, not asserted here.
"""

from __future__ import annotations

import re

import pytest

from devstack.bench import BenchReport, Closing, run_bench
from tests.support.stack_runs import stack_run

CARTS = 20

pytestmark = [pytest.mark.bench, pytest.mark.timeout(120)]


@pytest.fixture(scope="module")
async def report(tmp_path_factory: pytest.TempPathFactory) -> BenchReport:
    return await stack_run(
        tmp_path_factory,
        "the bench",
        "bench",
        lambda logs: run_bench(logs=logs, events=CARTS, orders=CARTS, order_rate=50, concurrency=8),
    )


def test_the_last_line_names_the_seven_numbers(report: BenchReport) -> None:
    match = re.fullmatch(
        r"bench: api_vs_bare=(\d+\.\d\d) api_accepted_vs_bare=(\d+\.\d\d)"
        r" p99_close_ms=(\d+) events_per_journey=(\d+) bytes_per_journey=(\d+)"
        r" history_kb=(\d+) largest_payload_bytes=(\d+)",
        report.summary,
    )
    assert match, report.summary
    ratio, accepted_ratio, p99, events, size, kb, payload = match.groups()
    assert float(ratio) > 0 and float(accepted_ratio) > 0 and int(p99) > 0, report.summary
    assert float(accepted_ratio) == pytest.approx(report.intake.accepted_ratio, abs=0.005)
    assert int(events) == max(branch.events for branch in report.branches)
    assert int(size) == max(branch.bytes for branch in report.branches)
    assert int(size) > int(events)
    # whole KB, rounded up: the costliest history fits in K KB but not in K - 1
    assert (int(kb) - 1) * 1024 < int(size) <= int(kb) * 1024
    # a payload is one part of one history, and every history carries a few
    assert 0 < int(payload) < int(size)
    assert int(payload) == max(branch.largest_payload.bytes for branch in report.branches)


def test_the_table_shows_each_branch_in_kb_next_to_its_events(report: BenchReport) -> None:
    table = report.table()
    for branch in report.branches:
        row = re.search(rf"^    {re.escape(branch.name)} +(\d+) +(\d+\.\d) ", table, re.M)
        assert row, table
        assert int(row[1]) == branch.events
        assert float(row[2]) == pytest.approx(branch.bytes / 1024, abs=0.05)
    assert f"largest payload {report.largest_payload.bytes} bytes: " in table


def test_both_sides_of_the_intake_were_timed_over_the_same_events(report: BenchReport) -> None:
    for side in (report.intake.api, report.intake.bare):
        assert side.events == CARTS
        assert len(side.calls.ms) == CARTS
        assert side.accepted_rate > side.sustained_rate > 0  # the worker's part takes time too
    assert report.intake.ratio == pytest.approx(
        report.intake.api.sustained_rate / report.intake.bare.sustained_rate
    )
    assert report.intake.accepted_ratio == pytest.approx(
        report.intake.api.accepted_rate / report.intake.bare.accepted_rate
    )


def check_closing(closing: Closing) -> None:
    assert closing.orders == len(closing.closed.ms) == len(closing.answered.ms) == CARTS
    assert 0 < closing.closed.p(50) <= closing.closed.p(95) <= closing.closed.p(99)
    assert [name for name, _ in closing.stages] == [
        "request -> signalled",
        "signalled -> task start",
        "task, outcome recorded",
        "recorded -> closed",
    ]
    for _, stage in closing.stages:
        assert len(stage.ms) == CARTS and min(stage.ms) >= 0


def test_every_order_closed_its_journey(report: BenchReport) -> None:
    check_closing(report.purchase)
    check_closing(report.shopify)


def test_each_branch_of_the_default_journey_was_run_to_its_end(report: BenchReport) -> None:
    branches = {branch.name: branch for branch in report.branches}
    assert report.journey.startswith("abandoned_cart v")
    assert set(branches) == {
        "clicked r1",
        "not clicked",
        "bought mid-journey",
        "bought before abandoned",
    }
    assert (branches["not clicked"].outcome, branches["not clicked"].sent) == ("expired", 3)
    assert branches["clicked r1"].outcome == "expired"
    assert branches["bought mid-journey"].outcome == "recovered"
    assert (
        branches["bought before abandoned"].outcome,
        branches["bought before abandoned"].sent,
    ) == (
        "purchased",
        0,
    )
    # a purchase cuts the journey short, and so its history
    assert (
        branches["bought before abandoned"].events
        < branches["bought mid-journey"].events
        < branches["not clicked"].events
    )
    assert (
        branches["bought before abandoned"].bytes
        < branches["bought mid-journey"].bytes
        < branches["not clicked"].bytes
    )
    for branch in branches.values():
        # every event is a tag, a length, an id, a time and a type at least; payloads more
        assert branch.bytes > 10 * branch.events, branch
