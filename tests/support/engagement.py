"""What the engagement tests (provider webhooks, tracking, unsubscribe) check after a call
that must leave no trace."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from storage.models import EngagementEvent, ProviderEvent, Suppression
from tests.support.api import WORKFLOW_ID
from tests.support.histories import engagement_signals, signals
from tests.support.tables import rows


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
