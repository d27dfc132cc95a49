"""The journeys in a `journeys/` folder, validated, as releases ready to publish.

Reading never raises for bad content: an invalid version file is refused and reported in
`problems`, so a marketer's typo is a message, never a traceback. Nothing here decides
what is live: that is an activation (`releases/activation.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from journey_schema.errors import JourneyError, JourneyNotFound
from journey_schema.folder import (
    FOLDER_FILE,
    JOURNEY_NAME,
    JourneyFolderSettings,
    read_folder_settings,
    read_templates,
    stray_files,
    version_files,
)
from journey_schema.providers import DEFAULT_CHANNELS
from journey_schema.release import Release, freeze
from journey_schema.validation import validate_version
from rendering.sms import SmsSegments
from workflows.payloads import Channel


class JourneyProblems(Exception):
    """A journey version that can not be used, with every problem found in its files."""

    def __init__(self, problems: list[JourneyError]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class JourneyFolder:
    """One journey folder: its valid versions frozen as releases, its refused ones explained."""

    name: str
    folder: Path
    settings: JourneyFolderSettings
    releases: dict[int, Release]
    refused: dict[int, list[JourneyError]]
    # Every SMS template part a version sends ("nudge/tr.sms") and its longest sample text.
    sms_lengths: dict[str, SmsSegments] = field(default_factory=dict)

    def release(self, version: int) -> Release:
        if version in self.releases:
            return self.releases[version]
        if version in self.refused:
            raise JourneyProblems(self.refused[version])
        known = ", ".join(f"v{number}" for number in sorted(self.releases)) or "none"
        raise JourneyNotFound(
            f"journey {self.name!r} has no version {version} (valid versions: {known})"
        )


@dataclass(frozen=True)
class JourneyFiles:
    journeys_dir: Path
    journeys: dict[str, JourneyFolder]
    problems: list[JourneyError] = field(default_factory=list)

    def journey(self, name: str) -> JourneyFolder:
        found = self.journeys.get(name)
        if found is None:
            known = ", ".join(sorted(self.journeys)) or "none"
            raise JourneyNotFound(
                f"there is no journey {name!r} in {self.journeys_dir} (journeys: {known})"
            )
        return found


def read_journeys(
    journeys_dir: Path,
    *,
    channels: frozenset[Channel] = DEFAULT_CHANNELS,
    webhook_targets: frozenset[str] | None = None,
    public_url: str | None = None,
) -> JourneyFiles:
    """Every journey folder under `journeys_dir`, validated against `channels` and, unless
    None, the configured `webhook_targets`; SMS measured with links to `public_url` (None:
    a stand-in, see journey_schema.providers)."""
    if not journeys_dir.is_dir():
        missing = JourneyError(journeys_dir, None, "the journeys folder does not exist")
        return JourneyFiles(journeys_dir, {}, [missing])
    journeys: dict[str, JourneyFolder] = {}
    problems: list[JourneyError] = []
    serving: dict[str, str] = {}  # shop -> journey
    for folder in sorted(path for path in journeys_dir.iterdir() if path.is_dir()):
        if folder.name.startswith((".", "_")):
            continue
        if not JOURNEY_NAME.match(folder.name):
            problems.append(
                JourneyError(
                    folder, None, "journey folder names use lowercase letters, digits and _"
                )
            )
            continue
        journey, journey_problems = _read_journey(folder, channels, webhook_targets, public_url)
        journeys[journey.name] = journey
        problems += journey_problems
        for shop in journey.settings.shops:
            if shop in serving:
                problems.append(
                    JourneyError(
                        folder / FOLDER_FILE,
                        "shops",
                        f"shop {shop!r} is already served by journey {serving[shop]!r}",
                    )
                )
            else:
                serving[shop] = journey.name
    return JourneyFiles(journeys_dir, journeys, problems)


def load_release(
    journeys_dir: Path,
    name: str,
    version: int,
    channels: frozenset[Channel] = DEFAULT_CHANNELS,
) -> Release:
    """One version's release from the files; JourneyNotFound or JourneyProblems if none."""
    return read_journeys(journeys_dir, channels=channels).journey(name).release(version)


def read_for_publishing(journeys_dir: Path, *, public_url: str | None = None) -> JourneyFiles:
    """The folder as `publish` reads it: validated against every channel and no webhook
    targets, since a release may be published anywhere and is checked against the
    deployment that activates it (releases/deployment.py); SMS measured with links to the
    publishing deployment's `public_url` when it is known."""
    return read_journeys(journeys_dir, channels=frozenset(Channel), public_url=public_url)


def load_draft(journeys_dir: Path, name: str, version: int) -> Release:
    """A version as the marketer's tools (preview, simulate, diff) take it, published or
    not: validated against every channel, since they render or capture them all.

    Raises JourneyNotFound with one line to show; for an invalid version its first problem
    (`make check-journeys` lists them all).
    """
    if not journeys_dir.is_dir():
        raise JourneyNotFound(f"the journeys folder {journeys_dir} does not exist")
    try:
        return load_release(journeys_dir, name, version, frozenset(Channel))
    except JourneyProblems as err:
        more = len(err.problems) - 1
        also = f" (and {more} more: run `make check-journeys`)" if more else ""
        raise JourneyNotFound(
            f"version {version} of journey {name!r} is invalid: {err.problems[0]}{also}"
        ) from None


def _read_journey(
    folder: Path,
    channels: frozenset[Channel],
    webhook_targets: frozenset[str] | None,
    public_url: str | None,
) -> tuple[JourneyFolder, list[JourneyError]]:
    settings, problems = read_folder_settings(folder)
    problems += stray_files(folder)
    templates, template_problems = read_templates(folder)
    problems += template_problems
    files = version_files(folder)
    if not files:
        problems.append(JourneyError(folder, None, "no version files: add v1.yaml"))
    releases: dict[int, Release] = {}
    refused: dict[int, list[JourneyError]] = {}
    sms_lengths: dict[str, SmsSegments] = {}
    for number, file in files.items():
        checked = validate_version(
            file,
            journey=folder.name,
            version=number,
            templates=templates,
            channels=channels,
            webhook_targets=webhook_targets,
            public_url=public_url,
        )
        sms_lengths.update(checked.sms_lengths)
        if checked.definition is None:
            refused[number] = checked.problems
            problems += checked.problems
        else:
            releases[number] = freeze(checked.definition, templates)
    journey = JourneyFolder(
        folder.name, folder, settings, releases, refused, dict(sorted(sms_lengths.items()))
    )
    return journey, problems
