"""`make bench`'s sustained-journeys part at a tiny size: full journeys through the whole
stack, each closed with its three emails, the report read from that run.

Only the line's shape and that its numbers are counted from the run (closed journeys,
mails the SMTP server took, the servers' close times) are checked, never how fast anything
was: speed is measured by `make bench`, not asserted here.
"""

from __future__ import annotations

import re

import pytest

from devstack.bench_journeys import EMAILS_PER_JOURNEY, JourneysReport, run_bench_journeys
from storage.outbox import OutboxState
from tests.support.stack_runs import stack_run

IN_FLIGHT = 4
WARM_UP = 3.0
STEADY = 10.0

pytestmark = [pytest.mark.bench, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
async def report(tmp_path_factory: pytest.TempPathFactory) -> JourneysReport:
    return await stack_run(
        tmp_path_factory,
        "the journeys bench",
        "bench-journeys",
        lambda logs: run_bench_journeys(
            logs=logs, in_flight=IN_FLIGHT, warm_up=WARM_UP, steady=STEADY
        ),
    )


def test_every_journey_started_closed_with_its_emails_once_each(report: JourneysReport) -> None:
    started = len(report.journeys)
    assert started >= IN_FLIGHT  # every lane ran at least one journey to its close
    assert len({journey.cart for journey in report.journeys}) == started
    assert len(report.mails) == started * EMAILS_PER_JOURNEY
    assert report.outbox == {OutboxState.SENT: started * EMAILS_PER_JOURNEY}


def test_no_journey_closed_before_its_own_waits(report: JourneysReport) -> None:
    # inactivity 1s + wait_for 2s + wait 1s + conversion window 1s (tests/bench/journeys)
    assert report.floor == 5
    for journey in report.journeys:
        assert journey.seconds >= report.floor, journey


def test_the_rates_count_what_happened_in_the_steady_period(report: JourneysReport) -> None:
    closed = [j for j in report.journeys if report.counted_from <= j.closed < report.counted_to]
    assert report.closed_in_steady == len(closed) > 0
    assert report.journeys_per_second == pytest.approx(len(closed) / STEADY)
    assert 0 < report.mails_in_steady <= len(report.mails)
    assert report.sends_per_second == pytest.approx(report.mails_in_steady / STEADY)


def test_the_last_line_names_the_numbers(report: JourneysReport) -> None:
    match = re.fullmatch(
        r"journeys: journeys_per_s=(\d+\.\d\d) sends_per_s=(\d+\.\d\d)"
        r" p50_start_to_close_s=(\d+\.\d\d) p99_start_to_close_s=(\d+\.\d\d)"
        r" floor_s=5 in_flight=(\d+) steady_s=(\d+) events_per_journey=(\d+)"
        r" bytes_per_journey=(\d+)",
        report.summary,
    )
    assert match, report.summary
    rate, sends, p50, p99, in_flight, steady, events, size = match.groups()
    assert float(rate) == pytest.approx(report.journeys_per_second, abs=0.005)
    assert float(sends) == pytest.approx(report.sends_per_second, abs=0.005)
    assert report.floor <= float(p50) <= float(p99)
    assert (int(in_flight), int(steady)) == (IN_FLIGHT, int(STEADY))
    # a journey of three sends, two timers and a wait_for has dozens of events, each bytes
    assert 20 < int(events) < int(size)


def test_the_table_shows_the_count_and_the_floor(report: JourneysReport) -> None:
    table = report.table()
    assert re.search(rf"journeys closed +{report.closed_in_steady} ", table), table
    assert "(floor 5000 ms: the journey's own waits)" in table
    assert f"every journey started ({len(report.journeys)}," in table


def test_the_cpu_and_the_server_are_read_from_the_run(report: JourneysReport) -> None:
    assert [name for name, _ in report.cpu] == ["worker", "server", "API"]
    # every process worked for the journeys of the steady period
    assert all(used > 0 for _, used in report.cpu), report.cpu
    assert report.cpu_per_journey() == [
        (name, used / report.closed_in_steady) for name, used in report.cpu
    ]
    assert re.fullmatch(r"\w+, \d+ history shard\(s\)", report.server), report.server
