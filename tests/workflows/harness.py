"""Drive cart workflows on the time-skipping server with the real worker, database and SMTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from workflows.search_attributes import initial_search_attributes
from workflows.types import CartJourneyInput, CartSnapshot, JourneyState, cart_workflow_id


@dataclass
class JourneyHarness:
    env: WorkflowEnvironment
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    mailbox: Any  # the smtp_server fixture

    async def start(self, cart: CartSnapshot, cart_id: str = "cart-1") -> WorkflowHandle[Any, Any]:
        """What the API does for a cart's first snapshot: signal-with-start."""
        return await self.env.client.start_workflow(
            "CartJourney",
            CartJourneyInput(shop=cart.shop, cart_id=cart_id),
            id=cart_workflow_id(cart.shop, cart_id),
            task_queue=self.settings.task_queue,
            start_signal="update_cart",
            start_signal_args=[cart],
            search_attributes=initial_search_attributes(
                shop=cart.shop,
                cart_id=cart_id,
                customer_id=cart.customer.id,
                cart_total=float(cart.total),
            ),
        )

    async def advance(self, **duration: float) -> None:
        """Let workflow time pass (skipped, not slept)."""
        await self.env.sleep(timedelta(**duration))

    async def state(self, handle: WorkflowHandle[Any, Any]) -> JourneyState:
        return await handle.query("state", result_type=JourneyState)

    async def started_at(self, handle: WorkflowHandle[Any, Any]) -> datetime:
        return (await handle.describe()).start_time

    async def send_times(self, handle: WorkflowHandle[Any, Any]) -> dict[str, timedelta]:
        """message id -> when it went out, relative to the workflow's start."""
        start = await self.started_at(handle)
        state = await self.state(handle)
        return {m.message_id: m.sent_at - start for m in state.messages if m.sent_at}

    async def finish(self, handle: WorkflowHandle[Any, Any]) -> JourneyState:
        return await handle.result(result_type=JourneyState)

    @property
    def emails(self) -> list[EmailMessage]:
        return list(self.mailbox.messages)


def about(expected: timedelta, actual: timedelta, slack: timedelta = timedelta(minutes=1)) -> bool:
    """Sends happen at their timer plus a few real milliseconds of activity work."""
    return expected <= actual <= expected + slack
