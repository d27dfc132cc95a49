"""Validate the journeys folder the way publishing reads it: `make check-journeys`.

    python -m journey_schema.check [journeys/] [--default-journey NAME]
        [--channel email ...] [--webhook-target staff ...]

Prints the length of every SMS template the journeys send (encoding, characters with the
opt-out line, segments), then every problem, one per line, and exits 1 if there is any;
otherwise a one-line summary, and exits 0.

What the options leave out comes from the CARTNUDGE_* settings, like the worker: the
channels with a provider, the webhook targets and the public URL SMS links point to
(`providers.capabilities_of`). Settings
that can not be read are one plain line and exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from journey_schema.errors import JourneyError
from journey_schema.folder import TEMPLATES_DIR
from journey_schema.journey_files import read_journeys
from journey_schema.providers import Capabilities, capabilities_of
from journey_schema.schema_errors import plain_problem
from settings import Settings
from workflows.payloads import Channel


class _SettingsProblem(Exception):
    """The CARTNUDGE_* settings can not be read; the message says which and why."""


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
    parser.add_argument(
        "--webhook-target",
        action="append",
        metavar="NAME",
        help="a configured webhook target (repeatable; default: the names in "
        "CARTNUDGE_WEBHOOK_TARGETS)",
    )
    args = parser.parse_args(argv)
    try:
        return _check(args)
    except _SettingsProblem as exc:
        sys.stderr.write(f"{exc}\n")
        return 1


def _check(args: argparse.Namespace) -> int:
    # Settings are read when the command runs, never at import, once, and only for what
    # the options leave out.
    settings: Settings | None = None
    if not (args.default_journey and args.channel and args.webhook_target):
        settings = _read_settings()
    configured = capabilities_of(settings) if settings else Capabilities(frozenset(), None)
    default_journey = args.default_journey or (settings.default_journey if settings else "")
    channels = (
        frozenset(Channel(value) for value in args.channel) if args.channel else configured.channels
    )
    targets = frozenset(args.webhook_target) if args.webhook_target else configured.webhook_targets
    # A laptop configures no targets: they are not checked, and activation checks them
    # against the deployment.
    unchecked = "" if targets else " (webhook targets not checked: none configured here)"
    targets = targets or None

    catalog = read_journeys(
        args.journeys_dir,
        channels=channels,
        webhook_targets=targets,
        public_url=configured.public_url,
    )
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
        f"{args.journeys_dir}: {len(journeys)} journeys, {versions} versions, no problems"
        f"{unchecked}\n"
    )
    return 0


def _read_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        reasons = [
            _settings_reason(tuple(error["loc"]), plain_problem(error)) for error in exc.errors()
        ]
        raise _SettingsProblem(f"cartnudge settings: {'; '.join(reasons)}") from None
    except SettingsError as exc:
        # pydantic-settings names the field it could not parse, e.g. bad JSON
        field = re.search(r'field "(\w+)"', str(exc))
        name = f"CARTNUDGE_{field.group(1).upper()}" if field else "a CARTNUDGE_* setting"
        raise _SettingsProblem(
            f"cartnudge settings: {name} can not be read: is it valid JSON?"
        ) from None


def _settings_reason(loc: tuple[int | str, ...], problem: str) -> str:
    if not loc:
        return problem  # a rule over several settings; its message names them
    name = f"CARTNUDGE_{str(loc[0]).upper()}"
    rest = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:])
    return f"{name}{rest}: {problem}"


if __name__ == "__main__":
    raise SystemExit(main())
