"""All journeys in `journeys/`, validated, routed to shops, and pinned for new carts.

Loading never raises for bad content: an invalid version file is refused (never served)
and reported in `catalog.problems`, so a marketer's typo can not crash a worker.

Which version serves new carts (the *active* version):

- the one `journeys/<name>/journey.yaml` names with `active: N`, if that one is valid;
- otherwise the highest valid version. When the named (or the highest) version is
  refused, that is reported too, with the version served instead.

Which journey serves a shop: the journey whose `journey.yaml` lists it under `shops:`,
otherwise the default journey.
"""

from __future__ import annotations

import logging
import os
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
from journey_schema.models import PinnedJourney
from journey_schema.pinning import pin
from journey_schema.providers import DEFAULT_CHANNELS
from journey_schema.validation import validate_version
from rendering.sms import SmsSegments
from workflows.payloads import Channel, JourneyTrigger

logger = logging.getLogger(__name__)

# Every file's (path, mtime, size, inode): any edit, addition or removal changes it.
_Fingerprint = tuple[tuple[str, int, int, int], ...]


@dataclass(frozen=True)
class LoadedJourney:
    """One journey folder as loaded: its valid versions pinned, its refused ones explained."""

    name: str
    folder: Path
    settings: JourneyFolderSettings
    versions: dict[int, PinnedJourney]
    refused: dict[int, list[JourneyError]]
    active: int | None
    # Every SMS template part a version sends ("nudge/tr.sms") and its longest sample text.
    sms_lengths: dict[str, SmsSegments] = field(default_factory=dict)


@dataclass(frozen=True)
class _Loaded:
    journeys: dict[str, LoadedJourney]
    routes: dict[str, str]  # shop -> journey name, from journey.yaml `shops:`
    problems: list[JourneyError] = field(default_factory=list)


class JourneyCatalog:
    """The journeys a worker serves; `reload_if_changed()` picks up marketers' edits."""

    def __init__(
        self,
        journeys_dir: Path,
        *,
        default_journey: str,
        channels: frozenset[Channel],
        loaded: _Loaded,
        fingerprint: _Fingerprint,
    ) -> None:
        self.journeys_dir = journeys_dir
        self.default_journey = default_journey
        self.channels = channels
        self._loaded = loaded
        self._fingerprint = fingerprint

    @classmethod
    def load(
        cls,
        journeys_dir: Path,
        *,
        default_journey: str,
        channels: frozenset[Channel] = DEFAULT_CHANNELS,
    ) -> JourneyCatalog:
        fingerprint = _fingerprint(journeys_dir)
        loaded = _load(journeys_dir, default_journey, channels)
        return cls(
            journeys_dir,
            default_journey=default_journey,
            channels=channels,
            loaded=loaded,
            fingerprint=fingerprint,
        )

    @property
    def problems(self) -> list[JourneyError]:
        return list(self._loaded.problems)

    @property
    def journeys(self) -> dict[str, LoadedJourney]:
        return dict(self._loaded.journeys)

    def reload_if_changed(self) -> bool:
        """Reload when any file under the folder changed, appeared or vanished (a stat each)."""
        fingerprint = _fingerprint(self.journeys_dir)
        if fingerprint == self._fingerprint:
            return False
        loaded = _keep_last_good(
            self._loaded, _load(self.journeys_dir, self.default_journey, self.channels)
        )
        # One assignment each: a concurrent reader sees the old catalog or the new one.
        self._loaded, self._fingerprint = loaded, fingerprint
        # The worker logs problems found at start; these appeared while it runs.
        for problem in loaded.problems:
            logger.warning("journey refused or incomplete: %s", problem)
        return True

    def journey_for(self, shop: str) -> str:
        """The name of the journey that serves `shop`."""
        return self._loaded.routes.get(shop, self.default_journey)

    def trigger_for(self, shop: str) -> JourneyTrigger:
        name, pinned = self._active(shop)
        return JourneyTrigger(journey=name, inactivity=pinned.definition.trigger.inactivity)

    def pin(self, shop: str) -> PinnedJourney:
        """The active version of the shop's journey, with the templates it uses."""
        return self._active(shop)[1]

    def pin_version(self, journey: str, version: int) -> PinnedJourney:
        loaded = self._journey(journey)
        if version in loaded.versions:
            return loaded.versions[version]
        if version in loaded.refused:
            first = loaded.refused[version][0]
            raise JourneyNotFound(f"version {version} of journey {journey!r} is invalid: {first}")
        known = ", ".join(f"v{number}" for number in sorted(loaded.versions)) or "none"
        raise JourneyNotFound(
            f"journey {journey!r} has no version {version} (valid versions: {known})"
        )

    def _journey(self, name: str) -> LoadedJourney:
        loaded = self._loaded.journeys.get(name)
        if loaded is None:
            raise JourneyNotFound(f"there is no journey {name!r} in {self.journeys_dir}")
        return loaded

    def _active(self, shop: str) -> tuple[str, PinnedJourney]:
        name = self.journey_for(shop)
        loaded = self._journey(name)
        if loaded.active is None:
            raise JourneyNotFound(
                f"journey {name!r} (serving shop {shop!r}) has no valid version; "
                "run `make check-journeys` to see why"
            )
        return name, loaded.versions[loaded.active]


def _load(journeys_dir: Path, default_journey: str, channels: frozenset[Channel]) -> _Loaded:
    if not journeys_dir.is_dir():
        missing = JourneyError(journeys_dir, None, "the journeys folder does not exist")
        return _Loaded({}, {}, [missing])
    journeys: dict[str, LoadedJourney] = {}
    routes: dict[str, str] = {}
    problems: list[JourneyError] = []
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
        journey, journey_problems = _load_journey(folder, channels)
        journeys[journey.name] = journey
        problems += journey_problems
        for shop in journey.settings.shops:
            if shop in routes:
                problems.append(
                    JourneyError(
                        folder / FOLDER_FILE,
                        "shops",
                        f"shop {shop!r} is already served by journey {routes[shop]!r}",
                    )
                )
            else:
                routes[shop] = journey.name
    if default_journey not in journeys:
        problems.append(
            JourneyError(
                journeys_dir, None, f"the default journey {default_journey!r} does not exist"
            )
        )
    return _Loaded(journeys, routes, problems)


def _load_journey(
    folder: Path, channels: frozenset[Channel]
) -> tuple[LoadedJourney, list[JourneyError]]:
    settings, problems = read_folder_settings(folder)
    problems += stray_files(folder)
    templates, template_problems = read_templates(folder)
    problems += template_problems
    files = version_files(folder)
    versions: dict[int, PinnedJourney] = {}
    refused: dict[int, list[JourneyError]] = {}
    sms_lengths: dict[str, SmsSegments] = {}
    for number, file in files.items():
        checked = validate_version(
            file, journey=folder.name, version=number, templates=templates, channels=channels
        )
        sms_lengths.update(checked.sms_lengths)
        if checked.definition is None:
            refused[number] = checked.problems
            problems += checked.problems
        else:
            versions[number] = pin(checked.definition, templates)
    active = _choose_active(folder, settings, files, versions, problems)
    journey = LoadedJourney(
        folder.name, folder, settings, versions, refused, active, dict(sorted(sms_lengths.items()))
    )
    return journey, problems


def _choose_active(
    folder: Path,
    settings: JourneyFolderSettings,
    files: dict[int, Path],
    versions: dict[int, PinnedJourney],
    problems: list[JourneyError],
) -> int | None:
    if not files:
        problems.append(JourneyError(folder, None, "no version files: add v1.yaml"))
        return None
    fallback = max(versions) if versions else None
    serving = f"serving v{fallback} instead" if fallback else "no version of it is served"
    if settings.active is not None:
        if settings.active in versions:
            return settings.active
        state = "is invalid" if settings.active in files else "does not exist"
        problems.append(
            JourneyError(folder / FOLDER_FILE, "active", f"v{settings.active} {state}; {serving}")
        )
        return fallback
    highest = max(files)
    if highest not in versions:
        problems.append(JourneyError(files[highest], None, f"v{highest} is refused; {serving}"))
    return fallback


def _fingerprint(journeys_dir: Path) -> _Fingerprint:
    entries = []
    for root, _, names in os.walk(journeys_dir):
        for name in names:
            path = os.path.join(root, name)
            try:
                stat = os.stat(path)
            except FileNotFoundError:
                continue  # removed while we looked: the next call sees it gone
            entries.append((path, stat.st_mtime_ns, stat.st_size, stat.st_ino))
    return tuple(sorted(entries))


def _keep_last_good(previous: _Loaded, current: _Loaded) -> _Loaded:
    """A journey broken by an edit on a running worker keeps serving what it served before.

    Without this one typo in a shared template would stall every new cart of its shops
    until fixed. A restarted worker has no last good copy: it refuses the journey.
    """
    journeys = dict(current.journeys)
    problems = list(current.problems)
    for name, before in previous.journeys.items():
        now = journeys.get(name)
        if before.active is None or now is None or now.active is not None:
            continue
        journeys[name] = before
        problems.append(
            JourneyError(
                before.folder,
                None,
                f"no valid version after the last edit: still serving v{before.active} "
                "as loaded before it, until the journey is fixed",
            )
        )
    return _Loaded(journeys, current.routes, problems)
