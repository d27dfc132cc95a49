"""Exactly-once delivery under crashes: the worker SIGKILLed mid-send, counted at the receivers.

One run of devstack/chaos.py for the module (`make chaos` runs a larger one): 200 carts of the
chaos journey (email r1, sms r2, email r3) through the real API, worker, PostgreSQL, Temporal
dev server, SMTP server and Twilio stub, with the worker killed 3 times while sending. Where
a kill lands is chance; tests/chaos/test_cut_off_sends.py cuts sends off deterministically.
"""

from __future__ import annotations

import pytest

from devstack.chaos import ChaosReport, run_chaos
from storage.outbox import OutboxState
from tests.support.stack_runs import stack_run

CARTS = 200
KILLS = 3

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
async def report(tmp_path_factory: pytest.TempPathFactory) -> ChaosReport:
    return await stack_run(
        tmp_path_factory,
        "the chaos test",
        "chaos",
        lambda logs: run_chaos(carts=CARTS, kills=KILLS, logs=logs, deadline=200),
    )


def test_the_kills_landed_while_messages_were_going_out(report: ChaosReport) -> None:
    assert report.kills == KILLS, report.table()
    for kill in report.kill_log:
        assert 0 < kill.delivered < report.due, report.table()
    # every restarted worker picked up where the dead one stopped
    delivered_at = [kill.delivered for kill in report.kill_log]
    assert delivered_at == sorted(set(delivered_at)), report.table()
    assert report.arrivals_after_last_restart > 0, report.table()


def test_every_journey_finished(report: ChaosReport) -> None:
    assert report.finished == CARTS, report.table()
    unsettled = [
        report.outbox.get(state, 0) for state in (OutboxState.PENDING, OutboxState.SENDING)
    ]
    assert unsettled == [0, 0], report.table()


def test_no_message_arrives_twice_or_at_the_wrong_address(report: ChaosReport) -> None:
    assert report.duplicates == 0, report.table()
    assert report.unexpected == 0, report.table()


def test_no_message_is_lost_to_a_kill(report: ChaosReport) -> None:
    """Two-phase SMTP with the worker's journal, and SMS settled by the stub's status
    callbacks or resent after silence: every due message arrived."""
    assert report.lost == 0, report.table()
    assert report.delivered == report.due, report.table()


def test_every_sms_the_stub_took_was_reported_back_to_the_api(report: ChaosReport) -> None:
    """The settling path is live in the stack: the API took each signed status callback."""
    sms_due = CARTS  # one SMS step per cart
    assert report.status_callbacks >= 2 * sms_due, report.table()  # "sent", "delivered"
