"""`storage.carts.take_snapshot`: one statement on PostgreSQL, three on SQLite, one outcome.

Every test runs on both: the test PostgreSQL, and a SQLite file as `make run` has it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.carts import SnapshotTaken, take_snapshot
from storage.consents import current_consent
from storage.database import autocommit, create_engine, create_session_factory
from storage.models import Base, Cart, JourneyOutcome, Order
from tests.support.tables import rows

SHOP = "demo_shop"
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
COOLDOWN = timedelta(hours=72)


@pytest_asyncio.fixture(params=["postgresql", "sqlite"], loop_scope="session")
async def sessions(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    session_factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    if request.param == "postgresql":
        yield session_factory
        return
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    yield create_session_factory(engine)
    await engine.dispose()


async def take(
    sessions: async_sessionmaker[AsyncSession],
    *,
    cart_id: str = "abc",
    minutes: int = 0,
    email: bool = True,
    total: str = "10.00",
    cooldown: timedelta = COOLDOWN,
) -> SnapshotTaken:
    async with autocommit(sessions) as session:  # as intake.carts runs it
        return await take_snapshot(
            session,
            shop=SHOP,
            cart_id=cart_id,
            customer_id="c-1",
            consent={"email": email, "sms": True},
            updated_at=NOON + timedelta(minutes=minutes),
            total=Decimal(total),
            currency="TRY",
            snapshot={"total": total},
            emptied=False,
            cooldown=cooldown,
        )


async def consent(sessions: async_sessionmaker[AsyncSession]) -> dict[str, bool | None]:
    async with sessions() as session:
        return {
            channel: await current_consent(session, shop=SHOP, customer_id="c-1", channel=channel)
            for channel in ("email", "sms", "push")
        }


async def add(sessions: async_sessionmaker[AsyncSession], row: Any) -> None:
    async with sessions.begin() as session:
        session.add(row)


def outcome(*, ended_ago: timedelta, messages_sent: int = 3) -> JourneyOutcome:
    return JourneyOutcome(
        workflow_id=f"cart-{SHOP}-abc",
        run_id=f"run-{ended_ago}-{messages_sent}",
        shop=SHOP,
        cart_id="abc",
        customer_id="c-1",
        outcome="expired",
        currency="TRY",
        messages_sent=messages_sent,
        ended_at=datetime.now(UTC) - ended_ago,
    )


async def test_a_first_snapshot_is_stored_with_its_consent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    taken = await take(sessions)

    assert taken == SnapshotTaken(bought=False, ended_recently=False, fresh=True)
    [cart] = await rows(sessions, Cart)
    assert (cart.updated_at, cart.total, cart.snapshot) == (
        NOON,
        Decimal("10.00"),
        {"total": "10.00"},
    )
    assert await consent(sessions) == {"email": True, "sms": True, "push": False}


async def test_a_newer_snapshot_replaces_it_and_an_older_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await take(sessions, minutes=10, email=True)

    older = await take(sessions, minutes=5, total="99.00", email=False)
    assert older.fresh is False
    assert (await consent(sessions))["email"] is True  # the older statement lost

    newer = await take(sessions, minutes=15, total="20.00", email=False)
    assert newer.fresh is True
    [cart] = await rows(sessions, Cart)
    assert (cart.updated_at, cart.total) == (NOON + timedelta(minutes=15), Decimal("20.00"))
    assert (await consent(sessions))["email"] is False  # the newest statement wins


async def test_the_same_snapshot_again_is_fresh_and_not_received_anew(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await take(sessions)
    [first] = await rows(sessions, Cart)

    again = await take(sessions)

    assert again.fresh
    [after] = await rows(sessions, Cart)
    assert after.received_at == first.received_at


async def test_a_bought_cart_keeps_no_snapshot_but_its_consent(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await add(
        sessions,
        Order(shop=SHOP, order_id="o-1", cart_id="abc", total=Decimal(10), currency="TRY"),
    )

    taken = await take(sessions, email=False)

    assert taken == SnapshotTaken(bought=True, ended_recently=False, fresh=False)
    assert await rows(sessions, Cart) == []
    assert (await consent(sessions))["email"] is False


@pytest.mark.parametrize(
    ("ended_ago", "messages_sent", "cooldown", "ended_recently"),
    [
        (timedelta(hours=1), 3, COOLDOWN, True),
        (COOLDOWN + timedelta(minutes=1), 3, COOLDOWN, False),  # the cooldown is over
        (timedelta(hours=1), 0, COOLDOWN, False),  # ended before any message
        (timedelta(hours=1), 3, timedelta(0), False),  # no cooldown configured
    ],
)
async def test_a_journey_that_messaged_and_ended_within_the_cooldown_ended_recently(
    sessions: async_sessionmaker[AsyncSession],
    ended_ago: timedelta,
    messages_sent: int,
    cooldown: timedelta,
    ended_recently: bool,
) -> None:
    await add(sessions, outcome(ended_ago=ended_ago, messages_sent=messages_sent))

    taken = await take(sessions, cooldown=cooldown)

    assert taken == SnapshotTaken(bought=False, ended_recently=ended_recently, fresh=True)
