"""`cartnudge journeys simulate NAME VERSION [--persona P ...] [--json]`.

Plays personas (simulated customers) through a journey version on Temporal's
time-skipping test server, with the real workflow, worker and send policy, and prints
each one's timeline (journey_tools/simulate.py). Nothing is sent: channels are captured.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from journey_schema.errors import JourneyNotFound
from journey_schema.journey_files import load_draft
from journey_tools.personas import BUILT_IN, BUILT_IN_NAMES, PersonaError, persona_from_argument
from journey_tools.simulate import SimulationError, simulate
from journey_tools.timeline import format_timeline


def register(commands: Any) -> None:
    command: argparse.ArgumentParser = commands.add_parser(
        "simulate",
        help="play simulated customers through a journey version and print their timelines",
    )
    command.add_argument("name", help="the journey, e.g. abandoned_cart")
    command.add_argument("version", type=_version, help="its version: 2 or v2")
    command.add_argument(
        "--persona",
        action="append",
        dest="personas",
        metavar="P",
        help=f"a built-in persona ({', '.join(BUILT_IN_NAMES)}) or a persona YAML file;"
        " repeat for more; default: every built-in one",
    )
    command.add_argument("--json", action="store_true", help="the timelines as JSON")
    command.set_defaults(handler=simulate_journey)


def _version(text: str) -> int:
    try:
        return int(text.removeprefix("v"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a version such as 2 or v2") from None


async def simulate_journey(_session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    settings = args.settings
    try:
        personas = (
            [persona_from_argument(argument) for argument in args.personas]
            if args.personas
            else list(BUILT_IN)
        )
        release = load_draft(settings.journeys_dir, args.name, args.version)
        started = time.monotonic()
        timelines = await simulate(release, personas, settings=settings)
    except (PersonaError, JourneyNotFound, SimulationError) as err:
        raise CommandError(str(err)) from None
    seconds = time.monotonic() - started
    if args.json:
        document = {
            "journey": args.name,
            "version": args.version,
            "seconds": round(seconds, 2),
            "timelines": [timeline.model_dump(mode="json") for timeline in timelines],
        }
        out.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    out.write("\n".join(format_timeline(timeline) for timeline in timelines))
    count = f"{len(timelines)} persona{'s' if len(timelines) != 1 else ''}"
    out.write(f"\nsimulated {count} in {seconds:.1f} s\n")
