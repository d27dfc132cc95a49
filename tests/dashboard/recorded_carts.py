"""Carts recorded through the storage functions the workflow's activities and the intake
call: the entry and its arm (storage/entries.py), the message through the outbox
(storage/outbox.py), its engagement (storage/engagement.py), the order and the codes it
used (storage/orders.py, storage/coupon_redemptions.py), the outcome
(storage/outcomes.py). What a dashboard page then shows is what a running deployment would
have written."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.clock import attribution_window
from journey_schema.release import Release
from storage import coupon_redemptions, engagement, entries, orders, outcomes
from storage.coupon_redemptions import NewRedemption
from storage.entries import Assigned
from storage.messages import find_message
from storage.outbox import Outbox
from tests.support.api import SHOP
from tests.support.coupons import add_coupon
from workflows.client import cart_workflow_id
from workflows.payloads import Channel, EngagementKind, JourneyEntry, Outcome, OutcomeRecord

EXPERIMENT = "subject"  # tests/support/journey_data.SUBJECT_TEST's split
MESSAGE_OF_ARM = {"help": "r1", "scarcity": "r1s"}
SENT_AFTER = timedelta(hours=1)
BOUGHT_AFTER = timedelta(hours=5)


def send_step(arm: str) -> str:
    return f"steps[0].arms.{arm}[0]"


@dataclass(frozen=True)
class Shopper:
    """One cart: its arm (None: held out, never messaged), what it did with the email, and
    what it bought."""

    cart_id: str
    arm: str | None
    abandoned_at: datetime
    opened: bool = False
    machine_opened: bool = False  # opened only by a mail privacy proxy
    clicked: bool = False
    bought: Decimal | None = None
    shop: str = SHOP
    # a coupon of ours issued to the cart; its order (if it buys) redeems it for this much
    coupon_discount: Decimal | None = None

    @property
    def coupon_code(self) -> str:
        return f"CN-{self.cart_id.upper()}"

    @property
    def workflow_id(self) -> str:
        return cart_workflow_id(self.shop, self.cart_id)

    @property
    def run_id(self) -> str:
        return f"run-{self.cart_id}"


async def record_carts(
    sessions: async_sessionmaker[AsyncSession], release: Release, shoppers: Sequence[Shopper]
) -> None:
    for shopper in shoppers:
        await _enter(sessions, release, shopper)
        if shopper.arm is not None:
            await _email(sessions, release, shopper, shopper.arm)
        if shopper.coupon_discount is not None:
            await add_coupon(
                sessions,
                shop=shopper.shop,
                code=shopper.coupon_code,
                workflow_id=shopper.workflow_id,
                run_id=shopper.run_id,
            )
        if shopper.bought is not None:
            await _buy(sessions, release, shopper, shopper.bought)


async def _enter(
    sessions: async_sessionmaker[AsyncSession], release: Release, shopper: Shopper
) -> None:
    entry = JourneyEntry(
        workflow_id=shopper.workflow_id,
        run_id=shopper.run_id,
        shop=shopper.shop,
        cart_id=shopper.cart_id,
        customer_id=f"customer-{shopper.cart_id}",
        release_id=release.id,
        abandoned_at=shopper.abandoned_at,
        cart_total=Decimal("100.00"),
        currency="TRY",
    )
    async with sessions() as session:
        await entries.record_entry(
            session,
            entry,
            journey=release.journey,
            version=release.version,
            held_out=shopper.arm is None,
            window=attribution_window(release.definition),
            arms={} if shopper.arm is None else {EXPERIMENT: Assigned(shopper.arm, False)},
        )
        if shopper.arm is not None:
            await entries.reach_split(
                session,
                workflow_id=shopper.workflow_id,
                run_id=shopper.run_id,
                experiment=EXPERIMENT,
                arm_taken=shopper.arm,
                at=shopper.abandoned_at,
            )
        await session.commit()


async def _email(
    sessions: async_sessionmaker[AsyncSession], release: Release, shopper: Shopper, arm: str
) -> None:
    outbox = Outbox(sessions)
    step = send_step(arm)
    key = f"{shopper.workflow_id}:{shopper.run_id}:{step}"
    columns = {
        "workflow_id": shopper.workflow_id,
        "run_id": shopper.run_id,
        "shop": shopper.shop,
        "cart_id": shopper.cart_id,
        "journey": release.journey,
        "version": release.version,
        "release_id": release.id,
        "step": step,
        "message_id": MESSAGE_OF_ARM[arm],
        "template": "reminder",
        "arms": {EXPERIMENT: arm},
        "channel": Channel.EMAIL,
    }
    await outbox.claim(key, columns)
    await outbox.begin_delivery(
        key,
        channel=Channel.EMAIL,
        provider="smtp",
        recipient=f"{shopper.cart_id}@example.com",
        locale="en",
        subject="You left something behind",
    )
    await outbox.delivered(
        key, provider_message_id=f"smtp-{shopper.cart_id}", at=shopper.abandoned_at + SENT_AFTER
    )
    async with sessions() as session:
        message = await find_message(session, key=key, provider_message_id=None)
        assert message is not None
        await engagement.record(session, message, EngagementKind.DELIVERED)
        if shopper.opened or shopper.machine_opened:
            await engagement.record(
                session, message, EngagementKind.OPENED, machine=not shopper.opened
            )
        if shopper.clicked:
            await engagement.record(session, message, EngagementKind.CLICKED, url="https://shop/")
        await session.commit()


async def _buy(
    sessions: async_sessionmaker[AsyncSession], release: Release, shopper: Shopper, total: Decimal
) -> None:
    placed_at = shopper.abandoned_at + BOUGHT_AFTER
    async with sessions() as session:
        await orders.record_order(
            session,
            shop=shopper.shop,
            order_id=f"order-{shopper.cart_id}",
            cart_id=shopper.cart_id,
            total=total,
            currency="TRY",
            placed_at=placed_at,
        )
        if shopper.coupon_discount is not None:  # as the shop reported it: another case
            await coupon_redemptions.add_redemptions(
                session,
                shop=shopper.shop,
                order_id=f"order-{shopper.cart_id}",
                currency="TRY",
                redeemed_at=placed_at,
                codes=[NewRedemption(shopper.coupon_code.lower(), shopper.coupon_discount)],
            )
        await outcomes.record_outcome(
            session,
            OutcomeRecord(
                workflow_id=shopper.workflow_id,
                run_id=shopper.run_id,
                shop=shopper.shop,
                cart_id=shopper.cart_id,
                customer_id=f"customer-{shopper.cart_id}",
                journey=release.journey,
                version=release.version,
                release_id=release.id,
                outcome=Outcome.HELD_OUT if shopper.arm is None else Outcome.RECOVERED,
                order_id=f"order-{shopper.cart_id}",
                revenue=total,
                currency="TRY",
                messages_sent=0 if shopper.arm is None else 1,
                ended_at=placed_at,
                held_out=shopper.arm is None,
                arms={} if shopper.arm is None else {EXPERIMENT: shopper.arm},
            ),
        )
        await session.commit()
