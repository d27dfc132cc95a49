"""The worker's releases: read by id, kept, and still readable after cartnudge grows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.journey_files import load_release, read_for_publishing
from journey_schema.providers import Capabilities
from journey_schema.release import content_id
from releases.activation import activate
from releases.live import LiveReleases
from releases.publishing import publish
from storage import releases
from tests.support.messaging import REPO_JOURNEYS
from tests.unit.journey_files import version, write_journey
from workflows.payloads import Channel


async def test_a_release_published_by_an_older_cartnudge_still_loads(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    # As a version of cartnudge without `sms_max_segments` would have stored it.
    content = load_release(REPO_JOURNEYS, "abandoned_cart", 1).content()
    del content["definition"]["sms_max_segments"]
    old_id = content_id(content)
    async with session_factory() as session:
        await releases.insert_release(
            session,
            release_id=old_id,
            journey="abandoned_cart",
            version=1,
            content=content,
            published_by="an older cartnudge",
        )
        await session.commit()

    release = await LiveReleases(session_factory, default_journey="abandoned_cart").release(old_id)

    assert release.id == old_id
    assert release.definition.sms_max_segments == 3  # today's default
    assert "reminder/en.html" in release.templates


async def test_what_is_live_reaches_a_worker_at_its_next_refresh(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2)})
    await publish(session_factory, read_for_publishing(tmp_path), by="ci")
    email = Capabilities(frozenset({Channel.EMAIL}), frozenset())

    async def go_live(number: int) -> None:
        async with session_factory() as session:
            await activate(
                session, journey="shop_journey", version=number, shop=None, by="ci",
                capabilities=email,
            )  # fmt: skip
            await session.commit()

    await go_live(1)
    worker = LiveReleases(
        session_factory, default_journey="shop_journey", refresh_every=timedelta(hours=1)
    )
    before = await worker.choose("shop", "cart-1")
    await go_live(2)

    # Until its refresh, a worker goes on with what it read: one query per refresh, not
    # per cart. A worker that refreshes (5 s by default) sees the activation.
    assert before.version == 1
    assert (await worker.choose("shop", "cart-2")).version == 1
    fresh = LiveReleases(
        session_factory, default_journey="shop_journey", refresh_every=timedelta(0)
    )
    assert (await fresh.choose("shop", "cart-2")).version == 2
