"""The fault drills, bounded: a few carts and outages of seconds (`make faults` runs them
full, see README "Fault drills"). One real local stack (devstack/faults) for the module;
the drills run on it one after the other, each on carts of its own.

The product's own waits are as in production (the journey's send retries, Retry-After,
fail_fast_seconds); only the drills' outages and cart counts are small.
"""

from __future__ import annotations

import pytest

from devstack.faults import postgres_stop, provider_down, temporal_restart
from devstack.faults.__main__ import DRILLS, run_drills
from devstack.faults.report import DrillReport
from tests.support.database import needs_postgres_binaries

CARTS = 8
OUTAGE_SECONDS = 3

pytestmark = pytest.mark.timeout(420)


@pytest.fixture(scope="module")
async def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, DrillReport]:
    needs_postgres_binaries("the fault drills")
    logs = tmp_path_factory.mktemp("faults")
    done = await run_drills(list(DRILLS), logs=logs, carts=CARTS, outage=OUTAGE_SECONDS)
    for report in done:
        print(f"\n{report.table()}\n{report.summary}")
    print(f"  logs: {logs}")
    return {report.drill: report for report in done}


def assert_nothing_lost_or_doubled(report: DrillReport) -> None:
    assert report.finished == CARTS, report.table()
    assert (report.duplicates, report.lost, report.unexpected) == (0, 0, 0), report.table()


def assert_every_refusal_was_a_503_to_retry(report: DrillReport) -> None:
    assert report.refused > 0, report.table()  # the shop did meet the outage
    assert report.no_retry_after == 0, report.table()
    assert report.other_errors == 0, report.table()
    assert report.unstored_2xx == 0, report.table()  # no 2xx for what was not stored
    assert report.unacknowledged == 0, report.table()  # every retry landed in the end


def test_temporal_killed_and_restarted_every_cart_finishes_once(
    reports: dict[str, DrillReport],
) -> None:
    assert_nothing_lost_or_doubled(reports[temporal_restart.NAME])


def test_while_temporal_is_down_the_api_answers_503_and_healthz_names_it(
    reports: dict[str, DrillReport],
) -> None:
    report = reports[temporal_restart.NAME]
    assert_every_refusal_was_a_503_to_retry(report)
    assert report.healthz == "temporal", report.table()


def test_postgres_stopped_under_intake_the_retries_land_and_journeys_resume(
    reports: dict[str, DrillReport],
) -> None:
    assert_nothing_lost_or_doubled(reports[postgres_stop.NAME])


def test_while_postgres_is_down_nothing_unstored_gets_a_2xx(
    reports: dict[str, DrillReport],
) -> None:
    report = reports[postgres_stop.NAME]
    assert_every_refusal_was_a_503_to_retry(report)
    assert report.healthz == "database", report.table()


def test_providers_down_the_sends_are_retried_and_delivered_once(
    reports: dict[str, DrillReport],
) -> None:
    report = reports[provider_down.NAME]
    assert report.refusals > 0, report.table()  # sends did meet the refusing providers
    assert_nothing_lost_or_doubled(report)
