"""Publishing journeys/: new versions become releases, the same content is a no-op, other
content under a published version is refused, and the database refuses to change one."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.stack import StackError, publish_journeys
from journey_schema.journey_files import read_journeys
from journey_schema.release import content_id
from releases.publishing import publish
from storage import releases
from tests.support.temporal import settings_for_tests
from tests.unit.journey_files import version, write_journey, write_version

Sessions = async_sessionmaker[AsyncSession]


async def publish_folder(sessions: Sessions, root: Path, **only: object) -> list[str]:
    results = await publish(sessions, read_journeys(root), by="ayse", **only)  # type: ignore[arg-type]
    return [str(result) for result in results]


async def test_publishing_stores_each_valid_version_once(
    session_factory: Sessions, tmp_path: Path
) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2)}, folder={"shops": ["s"]})

    first = await publish_folder(session_factory, tmp_path)
    again = await publish_folder(session_factory, tmp_path)

    async with session_factory() as session:
        stored = await releases.releases_of(session, "shop_journey")
        shops = await releases.journey_shops(session)
    ids = [release.id[:12] for release in stored]
    assert first == [
        f"shop_journey v1: published as release {ids[0]}",
        f"shop_journey v2: published as release {ids[1]}",
    ]
    assert again == [
        f"shop_journey v1: already published as release {ids[0]}, nothing changed",
        f"shop_journey v2: already published as release {ids[1]}, nothing changed",
    ]
    assert [(r.version, r.published_by) for r in stored] == [(1, "ayse"), (2, "ayse")]
    assert shops == {"s": "shop_journey"}


async def test_a_version_published_before_a_setting_was_added_is_unchanged(
    session_factory: Sessions, tmp_path: Path
) -> None:
    # Settings added since (low_stock_below, a step's coupon) are stored only when a file
    # sets them: the release of an older file keeps its id, content and history payloads.
    write_journey(tmp_path)
    [published] = read_journeys(tmp_path).journey("shop_journey").releases.values()
    content = published.content()
    steps = content["definition"]["steps"]
    assert "low_stock_below" not in content["definition"]
    assert all("coupon" not in step.get("send", {}) for step in steps)
    async with session_factory() as session:
        await releases.insert_release(
            session,
            release_id=content_id(content),
            journey="shop_journey",
            version=1,
            content=content,
            published_by="ayse",
        )
        await session.commit()

    again = await publish_folder(session_factory, tmp_path)

    assert again == [
        f"shop_journey v1: already published as release {content_id(content)[:12]}, nothing changed"
    ]


async def test_changed_files_under_a_published_version_are_refused_by_name(
    session_factory: Sessions, tmp_path: Path
) -> None:
    journey_dir = write_journey(tmp_path)
    await publish_folder(session_factory, tmp_path)
    html = journey_dir / "templates" / "reminder" / "en.html"
    html.write_text(html.read_text(encoding="utf-8") + "<p>new words</p>", encoding="utf-8")
    write_version(journey_dir, 1, version(trigger={"inactivity": "2h"}))

    [refusal] = await publish_folder(session_factory, tmp_path)

    assert refusal.startswith("shop_journey v1: was published on ")
    assert refusal.endswith(
        "by ayse with other content; changed since: v1.yaml, templates/reminder/en.html. "
        "A published version never changes: put those files back as they were and make the "
        "change in v2.yaml (a changed template under a new name, e.g. "
        "templates/reminder_v2/)"
    )
    async with session_factory() as session:
        [kept] = await releases.releases_of(session, "shop_journey")
    assert "new words" not in kept.content["templates"]["reminder/en.html"]


async def test_an_invalid_version_is_not_published_and_says_why(
    session_factory: Sessions, tmp_path: Path
) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2, trigger={})})

    lines = await publish_folder(session_factory, tmp_path)

    assert lines[0].startswith("shop_journey v1: published as release ")
    assert lines[1].startswith("shop_journey v2: ") and "trigger" in lines[1]
    async with session_factory() as session:
        assert [r.version for r in await releases.releases_of(session)] == [1]


async def test_one_version_can_be_published_alone(
    session_factory: Sessions, tmp_path: Path
) -> None:
    write_journey(tmp_path, versions={1: version(), 2: version(number=2)})

    lines = await publish_folder(session_factory, tmp_path, journey="shop_journey", version=2)
    missing = await publish_folder(session_factory, tmp_path, journey="shop_journey", version=5)

    assert len(lines) == 1 and lines[0].startswith("shop_journey v2: published")
    assert missing == ["shop_journey v5: there is no v5.yaml (valid versions: v1, v2)"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE journey_releases SET version = 9",
        "UPDATE journey_releases SET content = '{}'",
        "DELETE FROM journey_releases",
    ],
)
async def test_the_database_refuses_to_change_or_delete_a_release(
    session_factory: Sessions, tmp_path: Path, statement: str
) -> None:
    write_journey(tmp_path)
    await publish_folder(session_factory, tmp_path)

    async with session_factory() as session:
        with pytest.raises(DBAPIError, match="journey releases never change"):
            await session.execute(text(statement))
        await session.rollback()
        [kept] = await releases.releases_of(session)
    assert kept.version == 1


async def test_a_shop_served_by_another_published_journey_is_refused_plainly(
    session_factory: Sessions, tmp_path: Path
) -> None:
    write_journey(tmp_path / "a", "alpha", versions={1: version("alpha")}, folder={"shops": ["s1"]})
    write_journey(tmp_path / "b", "beta", versions={1: version("beta")}, folder={"shops": ["s1"]})
    await publish_folder(session_factory, tmp_path / "a")

    [refusal] = await publish_folder(session_factory, tmp_path / "b")

    assert refusal == (
        f"beta v1: {(tmp_path / 'b' / 'beta' / 'journey.yaml').as_posix()}: shops: shop 's1' is "
        "served by journey 'alpha' (as published): take it out of that journey's shops and "
        "publish it first"
    )
    async with session_factory() as session:
        assert await releases.journey_shops(session) == {"s1": "alpha"}


async def test_make_run_keeps_going_when_a_version_can_not_be_published(
    session_factory: Sessions, database_url: str, tmp_path: Path
) -> None:
    journey_dir = write_journey(tmp_path)
    settings = settings_for_tests(database_url=database_url, journeys_dir=tmp_path)
    await publish_journeys(settings)
    write_version(journey_dir, 1, version(trigger={"inactivity": "2h"}))  # a published one

    lines = await publish_journeys(settings, strict=False)
    with pytest.raises(StackError, match="could not be published"):
        await publish_journeys(settings)

    assert lines[0].startswith("not published: shop_journey v1: was published on ")
