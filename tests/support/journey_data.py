"""Carts that entered a journey, with their arms, messages, engagement and orders, put in
the database the way the workflow and the intake leave them: what report tests read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.clock import attribution_window
from journey_schema.models import JourneyVersion
from journey_schema.release import Release, freeze
from releases.publishing import store_release
from storage.models import (
    EngagementEvent,
    ExperimentAssignment,
    JourneyEntryRow,
    JourneyOutcome,
    Message,
    Order,
)
from workflows.client import cart_workflow_id

ABANDONED_AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)

SUBJECT_TEST = """\
journey: abandoned_cart
version: 7
trigger: {inactivity: 1h}
holdout: 10%
conversion_window: 3d
steps:
  - split:
      experiment: subject
      decide: {metric: conversion, min_carts: 100}
      arms:
        help: {weight: 50, steps: [{send: {channel: email, template: reminder, id: r1}}]}
        scarcity: {weight: 50, steps: [{send: {channel: email, template: still_thinking, id: r1s}}]}
  - wait: 1d
  - send: {channel: email, template: last_chance, id: r3}
"""


async def publish_release(
    sessions: async_sessionmaker[AsyncSession], text: str = SUBJECT_TEST
) -> Release:
    """Store a release of the journey text (its templates are not what reports read)."""
    release = freeze(JourneyVersion.model_validate(yaml.safe_load(text)), {})
    async with sessions() as session:
        await store_release(session, release, by="test")
        await session.commit()
    return release


@dataclass(frozen=True)
class Sent:
    step: str
    message_id: str
    opened: bool = False
    machine_opened: bool = False
    clicked: bool = False
    delivered: bool = True
    status: str = "sent"


@dataclass
class CartRecord:
    """One cart's entry; `revenue` with `bought_after` makes it buy."""

    cart_id: str
    customer_id: str = ""
    held_out: bool = False
    arms: dict[str, str] = field(default_factory=dict)
    revenue: Decimal | None = None
    bought_after: timedelta = timedelta(hours=5)
    sent: Sequence[Sent] = ()
    shop: str = "demo_shop"
    currency: str = "TRY"
    abandoned_at: datetime = ABANDONED_AT
    outcome: str | None = None
    took: str | None = None  # the arm taken at the split, when not its own (a decided winner)


async def add_carts(
    sessions: async_sessionmaker[AsyncSession], release: Release, carts: Sequence[CartRecord]
) -> None:
    window = attribution_window(release.definition)
    async with sessions() as session:
        for cart in carts:
            _add(session, release, cart, window)
        await session.commit()


def _add(session: AsyncSession, release: Release, cart: CartRecord, window: timedelta) -> None:
    workflow_id, run_id = cart_workflow_id(cart.shop, cart.cart_id), f"run-{cart.cart_id}"
    session.add(
        JourneyEntryRow(
            workflow_id=workflow_id,
            run_id=run_id,
            shop=cart.shop,
            cart_id=cart.cart_id,
            customer_id=cart.customer_id or f"cust-{cart.cart_id}",
            journey=release.journey,
            version=release.version,
            release_id=release.id,
            held_out=cart.held_out,
            abandoned_at=cart.abandoned_at,
            window_ends_at=cart.abandoned_at + window,
            cart_total=Decimal("100"),
            currency=cart.currency,
        )
    )
    for experiment, arm in cart.arms.items():
        session.add(
            ExperimentAssignment(
                workflow_id=workflow_id,
                run_id=run_id,
                journey=release.journey,
                release_id=release.id,
                experiment=experiment,
                arm=arm,
                after_decision=False,
                assigned_at=cart.abandoned_at,
                reached_at=cart.abandoned_at,
                arm_taken=cart.took or arm,
            )
        )
    sent_at = cart.abandoned_at + timedelta(hours=1)
    for sent in cart.sent:
        session.add(
            Message(
                key=f"{workflow_id}/{run_id}/{sent.step}",
                workflow_id=workflow_id,
                run_id=run_id,
                shop=cart.shop,
                cart_id=cart.cart_id,
                journey=release.journey,
                version=release.version,
                release_id=release.id,
                step=sent.step,
                message_id=sent.message_id,
                channel="email",
                template="reminder",
                status=sent.status,
                sent_at=sent_at if sent.status == "sent" else None,
                arms=cart.arms or None,
            )
        )
        kinds = [
            ("delivered", sent.delivered, False),
            ("opened", sent.opened or sent.machine_opened, sent.machine_opened and not sent.opened),
            ("clicked", sent.clicked, False),
        ]
        for kind, happened, machine in kinds:
            if happened:
                session.add(
                    EngagementEvent(
                        shop=cart.shop,
                        cart_id=cart.cart_id,
                        workflow_id=workflow_id,
                        run_id=run_id,
                        message_id=sent.message_id,
                        kind=kind,
                        machine=machine,
                        occurred_at=sent_at + timedelta(minutes=10),
                    )
                )
    if cart.revenue is not None:
        session.add(
            Order(
                shop=cart.shop,
                order_id=f"order-{cart.cart_id}",
                cart_id=cart.cart_id,
                total=cart.revenue,
                currency=cart.currency,
                placed_at=cart.abandoned_at + cart.bought_after,
            )
        )
    if cart.outcome is not None:
        session.add(
            JourneyOutcome(
                workflow_id=workflow_id,
                run_id=run_id,
                shop=cart.shop,
                cart_id=cart.cart_id,
                customer_id=cart.customer_id or f"cust-{cart.cart_id}",
                journey=release.journey,
                version=release.version,
                release_id=release.id,
                outcome=cart.outcome,
                revenue=cart.revenue,
                currency=cart.currency,
                messages_sent=len(cart.sent),
                ended_at=cart.abandoned_at + timedelta(days=2),
                held_out=cart.held_out,
                arms=cart.arms or None,
            )
        )
