"""What the engagement tests (provider webhooks, tracking, unsubscribe) share: a run that
sent a message, and the checks that a refused call left no trace."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from storage.models import EngagementEvent, Message, ProviderEvent, Suppression
from tests.support.api import WORKFLOW_ID, running_cart
from tests.support.histories import engagement_signals, signals
from tests.support.tables import add_message, rows


async def cart_that_sent(
    api: httpx.AsyncClient,
    client: Client,
    sessions: async_sessionmaker[AsyncSession],
    **message: Any,
) -> tuple[str, Message]:
    """A running cart whose run sent one message (`message`: add_message's fields): the
    run id and the message's outbox row."""
    run_id = await running_cart(api, client)
    return run_id, await add_message(sessions, run_id=run_id, **message)


async def assert_nothing_recorded(
    sessions: async_sessionmaker[AsyncSession], client: Client, run_id: str
) -> None:
    """No provider event, engagement or suppression stored, and the run told nothing."""
    assert await rows(sessions, ProviderEvent) == []
    assert await rows(sessions, EngagementEvent) == []
    assert await rows(sessions, Suppression) == []
    assert await engagement_signals(client, WORKFLOW_ID, run_id) == []


async def assert_nothing_told(sessions: async_sessionmaker[AsyncSession], client: Client) -> None:
    """No engagement stored, and the cart's run heard nothing after its cart."""
    assert await rows(sessions, EngagementEvent) == []
    assert await signals(client, WORKFLOW_ID) == ["update_cart"]
