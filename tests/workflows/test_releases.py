"""Carts and releases: a worker without journeys/ serves published releases, and the
cart's release is on its state, its search attributes and its message and outcome rows."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.providers import Capabilities
from releases.activation import activate
from releases.live import LiveReleases
from releases.quick_start import publish_and_activate
from storage.models import JourneyOutcome, Message
from tests.factories import make_cart
from tests.support.smtp import SmtpServer
from tests.support.tables import rows
from tests.workflows.harness import HarnessFactory
from workflows.payloads import Channel, OrderPlaced, Outcome
from workflows.search_attributes import JOURNEY_RELEASE, JOURNEY_VERSION

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"


async def test_a_worker_without_a_journeys_folder_serves_published_releases(
    harness_factory: HarnessFactory,
    session_factory: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    # Published from a copy that is gone before the worker starts.
    published_from = tmp_path / "journeys"
    shutil.copytree(REPO_JOURNEYS, published_from)
    email_only = Capabilities(frozenset({Channel.EMAIL}), frozenset())
    await publish_and_activate(session_factory, published_from, capabilities=email_only)
    async with session_factory() as session:  # v1, not v3 (the shipped experiment)
        await activate(
            session,
            journey="abandoned_cart",
            version=1,
            shop=None,
            by="test",
            capabilities=email_only,
        )
        await session.commit()
    shutil.rmtree(published_from)
    releases = LiveReleases(session_factory, default_journey="abandoned_cart")

    async with harness_factory(published_from, releases=releases) as harness:
        handle = await harness.through_first_email(make_cart())
        state = await harness.state(handle)
        await handle.signal(
            "order_placed", OrderPlaced(order_id="o-1", total=Decimal("10"), currency="EUR")
        )
        await handle.result()

    assert (state.journey, state.version) == ("abandoned_cart", 1)
    assert state.release_id is not None and len(state.release_id) == 64
    # The release is what the marketer looks for in the Temporal UI and in reports.
    described = await handle.describe()
    assert described.typed_search_attributes.get(JOURNEY_RELEASE) == state.release_id
    assert described.typed_search_attributes.get(JOURNEY_VERSION) == 1
    [message] = await rows(session_factory, Message)
    [outcome] = await rows(session_factory, JourneyOutcome)
    assert message.release_id == outcome.release_id == state.release_id


async def test_a_cart_of_a_journey_nobody_activated_ends_not_live_at_once(
    harness_factory: HarnessFactory,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    nothing_published = LiveReleases(session_factory, default_journey="abandoned_cart")

    async with harness_factory(tmp_path / "nowhere", releases=nothing_published) as harness:
        handle = await harness.start(make_cart())
        state = await harness.finish(handle, record_as="not_live")
        history = await handle.fetch_history()

    # Not held until someone activates: its history would grow by a retry a minute.
    assert state.outcome == Outcome.NOT_LIVE
    assert len(history.events) < 20
    [outcome] = await rows(session_factory, JourneyOutcome)
    assert outcome.outcome == "not_live"
    assert smtp_server.messages == []
