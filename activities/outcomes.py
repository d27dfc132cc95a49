"""Outcome records: how each cart's journey ended, for funnels and recovered revenue."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from observability import metrics
from storage import orders, outcomes
from workflows import names
from workflows.payloads import Outcome, OutcomeRecord

BOUGHT = frozenset({Outcome.RECOVERED, Outcome.PURCHASED})


class OutcomeActivities:
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = session_factory

    @activity.defn(name=names.RECORD_OUTCOME)
    async def record_outcome(self, record: OutcomeRecord) -> None:
        """Store the run's outcome once; a retried (local) activity changes nothing."""
        async with self._sessions() as session:
            await outcomes.record_outcome(session, record)
            await session.commit()
            if record.outcome in BOUGHT and record.order_id is not None:
                # The journey's last step: how long a purchase took to close it (the bench's
                # purchase -> closed), from the order's arrival (the database's clock against
                # the worker's: within NTP's error of each other).
                order = await orders.order_for_cart(
                    session, shop=record.shop, cart_id=record.cart_id
                )
                if order is not None:
                    metrics.purchase_to_closed(datetime.now(UTC) - order.received_at)
