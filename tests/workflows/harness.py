"""Drive cart workflows on the time-skipping server with the real worker, database and SMTP."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from journey_schema.journey_files import read_for_publishing
from journey_schema.providers import Capabilities
from releases.activation import activate
from releases.publishing import Published, publish
from settings import Settings
from temporal_payloads.history import decoded_history
from tests.support.histories import scheduled_activities
from tests.support.smtp import SmtpServer
from workflows.client import start_cart_journey
from workflows.payloads import Cart, Channel, JourneyProgress

# Recorded histories of the code since the last release; a release renames the folder to
# its version (tests/replay/histories/v0.1.0/), and those are never re-recorded.
NEXT_HISTORIES = Path(__file__).resolve().parents[1] / "replay" / "histories" / "next"


@dataclass
class JourneyHarness:
    env: WorkflowEnvironment
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    mailbox: SmtpServer  # the smtp_server fixture
    channels: frozenset[Channel] = frozenset({Channel.EMAIL})  # those with a provider

    async def start(self, cart: Cart, cart_id: str = "cart-1") -> WorkflowHandle[Any, Any]:
        """What the API does for a cart's first snapshot: signal-with-start."""
        return await start_cart_journey(
            self.env.client, task_queue=self.settings.task_queue, cart_id=cart_id, cart=cart
        )

    async def go_live(self, version: int, journey: str = "abandoned_cart") -> None:
        """`cartnudge journeys publish` and `activate` of one version, for all new carts."""
        files = read_for_publishing(self.settings.journeys_dir)
        results = await publish(self.sessions, files, journey=journey, version=version, by="test")
        assert all(r.state is not Published.REFUSED for r in results), results
        async with self.sessions() as session:
            await activate(
                session,
                journey=journey,
                version=version,
                shop=None,
                by="test",
                capabilities=Capabilities(self.channels, frozenset(self.settings.webhook_targets)),
            )
            await session.commit()

    async def advance(self, **duration: float) -> None:
        """Let workflow time pass (skipped, not slept)."""
        await self.env.sleep(timedelta(**duration))

    async def through_first_email(self, cart: Cart) -> WorkflowHandle[Any, Any]:
        """Start the cart's journey and let the hour before its first email pass, until that
        email is in the mailbox."""
        handle = await self.start(cart)
        await self.advance(hours=1, minutes=5)
        await self.mailbox.wait_for_messages(1)
        return handle

    async def state(self, handle: WorkflowHandle[Any, Any]) -> JourneyProgress:
        return await handle.query("state", result_type=JourneyProgress)

    async def state_at_step(
        self, handle: WorkflowHandle[Any, Any], step: str, timeout: float = 10
    ) -> JourneyProgress:
        """The state once the journey reached `step`: a mail can arrive before the workflow
        has recorded its send and moved on."""
        deadline = asyncio.get_running_loop().time() + timeout
        state = await self.state(handle)
        while state.current_step != step and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
            state = await self.state(handle)
        return state

    async def started_at(self, handle: WorkflowHandle[Any, Any]) -> datetime:
        return (await handle.describe()).start_time

    async def lifetime(self, handle: WorkflowHandle[Any, Any]) -> timedelta:
        """From start to close, in workflow time."""
        described = await handle.describe()
        assert described.close_time is not None, "the workflow is still running"
        return described.close_time - described.start_time

    async def scheduled_activities(self, handle: WorkflowHandle[Any, Any]) -> list[str]:
        """The (non-local) activities the workflow scheduled, by name, in order."""
        return await scheduled_activities(self.env.client, handle.id, handle.result_run_id)

    async def send_times(self, handle: WorkflowHandle[Any, Any]) -> dict[str, timedelta]:
        """message id -> when it went out, relative to the workflow's start."""
        start = await self.started_at(handle)
        state = await self.state(handle)
        return {m.message_id: m.sent_at - start for m in state.messages if m.sent_at}

    async def finish(
        self, handle: WorkflowHandle[Any, Any], *, record_as: str | None = None
    ) -> JourneyProgress:
        """Run to the end; with CARTNUDGE_RECORD_HISTORIES=1 store the history for replay tests."""
        state: JourneyProgress = await handle.result()
        if record_as and os.environ.get("CARTNUDGE_RECORD_HISTORIES") == "1":
            # Stored decoded, so a reviewer reads it; the codec passes plaintext through.
            history = await decoded_history(
                await handle.fetch_history(), self.env.client.data_converter
            )
            NEXT_HISTORIES.mkdir(parents=True, exist_ok=True)
            (NEXT_HISTORIES / f"{record_as}.json").write_text(history.to_json())
        return state

    @property
    def emails(self) -> list[EmailMessage]:
        return list(self.mailbox.messages)


# The `harness_factory` fixture (conftest.py): a worker on the given journeys and providers.
HarnessFactory = Callable[..., AbstractAsyncContextManager[JourneyHarness]]


def about(expected: timedelta, actual: timedelta, slack: timedelta = timedelta(minutes=1)) -> bool:
    """Sends happen at their timer plus a few real milliseconds of activity work."""
    return expected <= actual <= expected + slack


def publish_version(journeys_dir: Path, version: int, text: str) -> None:
    """What a marketer does: a new version file of abandoned_cart. A worker started after
    this activates it (the highest version); one running already needs `go_live`."""
    folder = journeys_dir / "abandoned_cart"
    (folder / f"v{version}.yaml").write_text(text)
