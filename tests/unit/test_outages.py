"""The memory that a dependency just failed (intake/outages.py), on a clock the test moves:
refused during the window, then one probe at a time, and back for everyone once it answers."""

from __future__ import annotations

import pytest

from intake.outages import DependencyDown, Outage

WINDOW = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outage(clock: Clock) -> Outage:
    outage = Outage("temporal", seconds=WINDOW, clock=clock)
    outage.failed()
    return outage


def admitted(outage: Outage) -> bool:
    try:
        outage.admit()
    except DependencyDown:
        return False
    return True


def test_within_the_window_every_caller_is_refused_naming_the_dependency(
    outage: Outage, clock: Clock
) -> None:
    clock.now += WINDOW - 0.1

    with pytest.raises(DependencyDown, match="temporal failed a moment ago"):
        outage.admit()


def test_after_the_window_one_caller_probes_and_the_others_wait_for_its_answer(
    outage: Outage, clock: Clock
) -> None:
    clock.now += WINDOW

    assert [admitted(outage) for _ in range(3)] == [True, False, False]

    outage.answered()

    assert [admitted(outage) for _ in range(3)] == [True, True, True]


def test_a_failed_probe_starts_a_new_window(outage: Outage, clock: Clock) -> None:
    clock.now += WINDOW
    assert admitted(outage)

    outage.failed()
    clock.now += WINDOW - 0.1

    assert not admitted(outage)


def test_a_probe_that_never_reports_frees_the_way_after_a_window(
    outage: Outage, clock: Clock
) -> None:
    clock.now += WINDOW
    assert admitted(outage)  # its caller was cancelled: no answer, no failure

    clock.now += WINDOW

    assert admitted(outage)


def test_a_window_of_zero_calls_the_dependency_every_time(clock: Clock) -> None:
    outage = Outage("database", seconds=0, clock=clock)
    outage.failed()

    assert [admitted(outage) for _ in range(3)] == [True, True, True]
