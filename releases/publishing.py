"""Publishing: the valid versions in `journeys/` become releases in the database.

Publishing the same content again changes nothing and says so. Different content under a
journey version that was published already is refused, with the files that changed: a
release never changes, so a change is the next version. Publishing makes no release live;
activating does (releases/activation.py). It does store `journey.yaml`'s `shops:`, which
for a journey that is live already moves those shops' new carts to it at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.errors import JourneyError
from journey_schema.folder import FOLDER_FILE
from journey_schema.journey_files import JourneyFiles, JourneyFolder
from journey_schema.release import Release, from_content
from storage import releases as stored_releases


class Published(StrEnum):
    NEW = "published"
    UNCHANGED = "unchanged"  # the same content was published before
    REFUSED = "refused"  # other content under a published version, or invalid


@dataclass(frozen=True)
class PublishResult:
    journey: str
    version: int
    state: Published
    release_id: str | None = None
    # REFUSED: what is wrong, in the marketer's words, one line each
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        name = f"{self.journey} v{self.version}"
        release = (self.release_id or "")[:12]
        if self.state is Published.NEW:
            return f"{name}: published as release {release}"
        if self.state is Published.UNCHANGED:
            return f"{name}: already published as release {release}, nothing changed"
        return "\n".join(f"{name}: {problem}" for problem in self.problems)


async def publish(
    sessions: async_sessionmaker[AsyncSession],
    files: JourneyFiles,
    *,
    journey: str | None = None,
    version: int | None = None,
    by: str,
) -> list[PublishResult]:
    """Publish every valid version of the folder (or of one journey, or one version)."""
    folders = [files.journey(journey)] if journey else list(files.journeys.values())
    results: list[PublishResult] = []
    for folder in folders:
        results += await _publish_journey(sessions, files, folder, version, by)
    return results


async def _publish_journey(
    sessions: async_sessionmaker[AsyncSession],
    files: JourneyFiles,
    folder: JourneyFolder,
    version: int | None,
    by: str,
) -> list[PublishResult]:
    numbers = [version] if version is not None else sorted({*folder.releases, *folder.refused})
    results = []
    async with sessions() as session:
        folder_problems = _problems_of_folder(files, folder) + await _shops_taken(session, folder)
        for number in numbers:
            if folder_problems:
                results.append(_refused(folder.name, number, folder_problems))
            elif number in folder.releases:
                results.append(await _publish_release(session, folder.releases[number], by))
            elif number in folder.refused:
                results.append(_refused(folder.name, number, folder.refused[number]))
            else:
                known = ", ".join(f"v{n}" for n in sorted(folder.releases)) or "none"
                results.append(
                    PublishResult(
                        folder.name,
                        number,
                        Published.REFUSED,
                        problems=[f"there is no v{number}.yaml (valid versions: {known})"],
                    )
                )
        if not folder_problems:
            await stored_releases.set_journey_shops(session, folder.name, folder.settings.shops)
        await session.commit()
    return results


def _problems_of_folder(files: JourneyFiles, folder: JourneyFolder) -> list[JourneyError]:
    """Problems of the journey as a whole (journey.yaml, templates, shops), not of a version."""
    of_versions = {problem for problems in folder.refused.values() for problem in problems}
    return [
        problem
        for problem in files.problems
        if problem not in of_versions and problem.file.is_relative_to(folder.folder)
    ]


async def _shops_taken(session: AsyncSession, folder: JourneyFolder) -> list[JourneyError]:
    """Shops `journey.yaml` lists that a published journey of another name serves."""
    serving = await stored_releases.journey_shops(session)
    return [
        JourneyError(
            folder.folder / FOLDER_FILE,
            "shops",
            f"shop {shop!r} is served by journey {serving[shop]!r} (as published): take it "
            f"out of that journey's shops and publish it first",
        )
        for shop in folder.settings.shops
        if serving.get(shop, folder.name) != folder.name
    ]


def _refused(journey: str, version: int, problems: list[JourneyError]) -> PublishResult:
    return PublishResult(
        journey, version, Published.REFUSED, problems=[str(problem) for problem in problems]
    )


async def store_release(session: AsyncSession, release: Release, *, by: str) -> bool:
    """Store the frozen release; False if one is held under its id or its version. The
    caller commits."""
    return await stored_releases.insert_release(
        session,
        release_id=release.id,
        journey=release.journey,
        version=release.version,
        content=release.content(),
        published_by=by,
    )


async def _publish_release(session: AsyncSession, release: Release, by: str) -> PublishResult:
    if await store_release(session, release, by=by):
        return PublishResult(release.journey, release.version, Published.NEW, release.id)
    held = await stored_releases.release_of_version(session, release.journey, release.version)
    if held is None or held.id == release.id:
        return PublishResult(release.journey, release.version, Published.UNCHANGED, release.id)
    return PublishResult(
        release.journey,
        release.version,
        Published.REFUSED,
        held.id,
        problems=[_changed_since_published(held, release)],
    )


def _changed_since_published(held: stored_releases.StoredRelease, now: Release) -> str:
    published = from_content(held.content)
    version = now.version
    changed = [
        path
        for path in sorted({*published.templates, *now.templates})
        if published.templates.get(path) != now.templates.get(path)
    ]
    files = [f"templates/{path}" for path in changed]
    if published.definition != now.definition:
        files.insert(0, f"v{version}.yaml")
    return (
        f"was published on {held.published_at:%Y-%m-%d} by {held.published_by} with other "
        f"content; changed since: "
        f"{', '.join(files)}. A published version never changes: put those files back as "
        f"they were and make the change in v{version + 1}.yaml (a changed template under a "
        f"new name, e.g. templates/{_template_of(changed)}_v{version + 1}/)"
    )


def _template_of(changed: list[str]) -> str:
    for path in changed:
        if not path.startswith("_"):
            return path.split("/", 1)[0]
    return "reminder"
