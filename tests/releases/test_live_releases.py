"""The worker's releases: read by id, kept, and still readable after cartnudge grows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.journey_files import load_release
from journey_schema.release import content_id
from releases.live import LiveReleases
from storage import releases
from tests.support.messaging import REPO_JOURNEYS


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
