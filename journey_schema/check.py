"""Validate the journeys folder the way publishing reads it: `make check-journeys`.

    python -m journey_schema.check [journeys/] [--default-journey NAME] [--channel email ...]

Prints the length of every SMS template the journeys send (encoding, characters with the
opt-out line, segments), then every problem, one per line, and exits 1 if there is any;
otherwise a one-line summary, and exits 0.

Without `--channel`, the channels are those the settings configure a provider for
(CARTNUDGE_SMS_PROVIDER, CARTNUDGE_FCM_SERVICE_ACCOUNT_FILE; email and webhook always),
like the worker.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from journey_schema.errors import JourneyError
from journey_schema.folder import TEMPLATES_DIR
from journey_schema.journey_files import read_journeys
from journey_schema.providers import configured_channels
from settings import Settings
from workflows.payloads import Channel


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m journey_schema.check", description="Validate cartnudge journeys."
    )
    parser.add_argument("journeys_dir", nargs="?", type=Path, default=Path("journeys"))
    parser.add_argument(
        "--default-journey",
        help="the journey shops without their own use (default: CARTNUDGE_DEFAULT_JOURNEY "
        "or abandoned_cart)",
    )
    parser.add_argument(
        "--channel",
        action="append",
        choices=[channel.value for channel in Channel],
        help="a channel with a configured provider (repeatable; default: the channels the "
        "CARTNUDGE_* settings configure)",
    )
    args = parser.parse_args(argv)
    # Settings are read when the command runs, never at import, and only for what the
    # options leave out.
    default_journey = args.default_journey or Settings().default_journey
    channels = (
        frozenset(Channel(value) for value in args.channel)
        if args.channel
        else configured_channels(Settings())
    )

    catalog = read_journeys(args.journeys_dir, channels=channels)
    problems = list(catalog.problems)
    if default_journey not in catalog.journeys:
        problems.append(
            JourneyError(
                args.journeys_dir, None, f"the default journey {default_journey!r} does not exist"
            )
        )
    for _, journey in sorted(catalog.journeys.items()):
        for path, length in journey.sms_lengths.items():
            file = (journey.folder / TEMPLATES_DIR / path).as_posix()
            sys.stdout.write(f"{file}: {length}\n")
    if problems:
        for problem in problems:
            sys.stdout.write(f"{problem}\n")
        count = len(problems)
        sys.stderr.write(f"{count} problem{'s' if count != 1 else ''} in {args.journeys_dir}\n")
        return 1
    journeys = catalog.journeys
    versions = sum(len(journey.releases) for journey in journeys.values())
    sys.stdout.write(
        f"{args.journeys_dir}: {len(journeys)} journeys, {versions} versions, no problems\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
