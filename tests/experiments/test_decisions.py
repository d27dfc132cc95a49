"""Deciding an experiment: the rule records a winner only when the numbers are clear, the
arms are big enough and the assignment is sound; people decide or stop one by hand."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from experiments.decisions import RULE, DecisionRefused, RuleDecider, decide_by_hand
from journey_schema.release import Release
from journey_schema.walk import splits
from storage.models import ExperimentDecision
from tests.support.journey_data import ABANDONED_AT, CartRecord, add_carts, publish_release
from tests.support.tables import rows
from tests.support.temporal import settings_for_tests

NOW = ABANDONED_AT + timedelta(days=10)


def _arm(arm: str, carts: int, converting: int) -> list[CartRecord]:
    return [
        CartRecord(
            cart_id=f"{arm}-{n}",
            arms={"subject": arm},
            revenue=Decimal("100") if n < converting else None,
        )
        for n in range(carts)
    ]


async def _decide(sessions: async_sessionmaker[AsyncSession], release: Release) -> object:
    [(_, split)] = list(splits(release.definition.steps))
    decider = RuleDecider(sessions, every=timedelta(0))
    return await decider.decide_if_clear(release, split, NOW)


async def test_a_clear_winner_with_enough_carts_is_recorded_by_the_rule(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)  # min_carts: 100, on conversion
    await add_carts(session_factory, release, _arm("help", 400, 120) + _arm("scarcity", 400, 40))

    decision = await _decide(session_factory, release)

    [stored] = await rows(session_factory, ExperimentDecision)
    assert decision is not None
    assert (stored.arm, stored.action, stored.decided_by) == ("help", "decided", RULE)
    assert "help is ahead on conversion of every other arm" in stored.reason
    # the numbers it was decided on are kept with it
    arms = {arm["name"]: arm for arm in stored.numbers["arms"]}
    assert (arms["help"]["conversions"], arms["scarcity"]["conversions"]) == (120, 40)


@pytest.mark.parametrize(
    ("help_carts", "help_conversions", "scarcity_carts", "why"),
    [
        (95, 80, 95, "fewer than min_carts (100) in each arm, however clear"),
        (440, 220, 330, "a sample-ratio mismatch: 440/330 of a 50/50 split"),
    ],
)
async def test_the_rule_waits_while_arms_are_small_or_assignment_looks_broken(
    session_factory: async_sessionmaker[AsyncSession],
    help_carts: int,
    help_conversions: int,
    scarcity_carts: int,
    why: str,
) -> None:
    release = await publish_release(session_factory)
    # clear enough otherwise: scarcity has the purchases a comparison needs (10 or more)
    await add_carts(
        session_factory,
        release,
        _arm("help", help_carts, help_conversions) + _arm("scarcity", scarcity_carts, 12),
    )

    assert await _decide(session_factory, release) is None, why
    assert await rows(session_factory, ExperimentDecision) == []


async def test_no_winner_while_the_interval_still_includes_no_difference(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)
    await add_carts(session_factory, release, _arm("help", 300, 33) + _arm("scarcity", 300, 30))

    assert await _decide(session_factory, release) is None


async def test_the_rule_is_checked_at_most_once_a_minute_per_experiment(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    release = await publish_release(session_factory)
    [(_, split)] = list(splits(release.definition.steps))
    decider = RuleDecider(session_factory)  # once a minute
    assert await decider.decide_if_clear(release, split, NOW) is None  # no carts yet

    await add_carts(session_factory, release, _arm("help", 400, 120) + _arm("scarcity", 400, 40))

    assert await decider.decide_if_clear(release, split, NOW) is None  # not looked again yet


async def test_decided_by_hand_and_refused_in_words(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await publish_release(session_factory)
    async with session_factory() as session:
        with pytest.raises(DecisionRefused, match="no published journey 'abandoned_cat'; did you"):
            await decide_by_hand(
                session, journey="abandoned_cat", experiment="subject", arm="help",
                version=None, by="ayse",
            )  # fmt: skip
        with pytest.raises(DecisionRefused, match="no experiment 'subjct'; did you mean 'subject'"):
            await decide_by_hand(
                session, journey="abandoned_cart", experiment="subjct", arm="help",
                version=None, by="ayse",
            )  # fmt: skip
        with pytest.raises(DecisionRefused, match="no arm 'hlp'; did you mean 'help'"):
            await decide_by_hand(
                session, journey="abandoned_cart", experiment="subject", arm="hlp",
                version=None, by="ayse",
            )  # fmt: skip
        [stopped] = await decide_by_hand(
            session, journey="abandoned_cart", experiment="subject", arm=None,
            version=7, by="ayse",
        )  # fmt: skip
        await session.commit()
        with pytest.raises(DecisionRefused, match="was stopped already \\(help, by ayse"):
            await decide_by_hand(
                session, journey="abandoned_cart", experiment="subject", arm="scarcity",
                version=None, by="mehmet",
            )  # fmt: skip

    # stopped: new carts take the control, the first arm
    assert (stopped.action, stopped.arm, stopped.decided_by) == ("stopped", "help", "ayse")


async def test_cartnudge_experiments_decide_prints_what_new_carts_get(
    session_factory: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    await publish_release(session_factory)
    settings = settings_for_tests(database_url=database_url)
    out = io.StringIO()

    await run(
        ["experiments", "decide", "abandoned_cart", "subject", "scarcity", "--by", "ayse"],
        settings=settings,
        out=out,
    )
    with pytest.raises(CommandError, match="was decided already"):
        await run(["experiments", "stop", "abandoned_cart", "subject"], settings=settings)

    assert "subject decided; new carts reaching the split take scarcity" in out.getvalue()
    [stored] = await rows(session_factory, ExperimentDecision)
    assert (stored.arm, stored.decided_by) == ("scarcity", "ayse")
