"""`cartnudge journeys diff NAME A B`: what changes between two versions of a journey.

    cartnudge journeys diff abandoned_cart 1 2            settings, steps, templates, timelines
    cartnudge journeys diff abandoned_cart 1 2 --json     the same, structured
    cartnudge journeys diff abandoned_cart 1 2 --no-timelines   skip the simulation

Versions are read from CARTNUDGE_JOURNEYS_DIR and checked like `make check-journeys` does,
against every channel: a diff is about the files, whichever providers this machine has.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from journey_schema.errors import JourneyNotFound
from journey_schema.journey_files import load_draft
from journey_schema.release import Release
from journey_tools.diff import (
    JourneyDiff,
    compare,
    diff_json,
    format_diff,
    timeline_changes,
)
from journey_tools.personas import BUILT_IN
from journey_tools.simulate import SimulationError, simulate
from journey_tools.step_diff import step_paths
from journey_tools.timeline import format_timeline
from settings import Settings


def register(commands: Any) -> None:
    command: argparse.ArgumentParser = commands.add_parser(
        "diff", help="what changes between two versions of a journey"
    )
    command.add_argument("journey", help="the journey's folder name, e.g. abandoned_cart")
    command.add_argument("a", help="the version to compare from: 1 (or v1)")
    command.add_argument("b", help="the version to compare to: 2 (or v2)")
    command.add_argument("--json", action="store_true", help="the same content as JSON")
    command.add_argument(
        "--no-timelines", action="store_true", help="skip simulating the personas (faster)"
    )
    command.set_defaults(handler=diff_versions)


async def diff_versions(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    """Compare two versions of a journey and print what changes."""
    a, b = _version_number(args.a), _version_number(args.b)
    journeys_dir = args.settings.journeys_dir
    try:
        before = load_draft(journeys_dir, args.journey, a)
        after = load_draft(journeys_dir, args.journey, b)
    except JourneyNotFound as err:
        raise CommandError(str(err)) from None

    diff = compare(before, after)
    if args.no_timelines:
        diff = dataclasses.replace(diff, timelines_note="not simulated (--no-timelines)")
    else:
        diff = await with_timelines(diff, before, after, args.settings)
    out.write(diff_json(diff) if args.json else format_diff(diff))


def _version_number(text: str) -> int:
    match = re.fullmatch(r"v?([1-9][0-9]*)", text.strip())
    if match is None:
        raise CommandError(f"{text!r} is not a version: write its number, e.g. 2 (or v2)")
    return int(match.group(1))


async def with_timelines(
    diff: JourneyDiff, before: Release, after: Release, settings: Settings
) -> JourneyDiff:
    """The diff with each built-in persona's simulated timeline under both versions compared."""
    texts = []
    try:
        for release in (before, after):
            timelines = await simulate(release, BUILT_IN, settings=settings)
            texts.append({t.persona: _events(format_timeline(t)) for t in timelines})
    except SimulationError as err:
        return dataclasses.replace(diff, timelines_note=f"not simulated: {err}")
    changes = timeline_changes(
        texts[0],
        texts[1],
        label_a=f"v{diff.a}",
        label_b=f"v{diff.b}",
        paths=step_paths(before.definition, after.definition),
    )
    return dataclasses.replace(diff, timelines=changes)


def _events(text: str) -> str:
    """A formatted timeline without its header (persona, journey and version, clock, caps).

    The header names the version, so it always differs; the diff is about the events.
    """
    _, blank, events = text.partition("\n\n")
    return events if blank else text
