"""`cartnudge report`: a journey's carts, conversions and revenue, by release, experiment
arm and holdout, with always-valid intervals.

    cartnudge report [--journey J] [--shop S] [--since YYYY-MM-DD] [--json]
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from journey_schema.suggestions import did_you_mean
from reports.journey_report import journey_report, journeys_of
from reports.text import format_report
from settings import Settings
from storage import shops


def since_date(text: str | None) -> datetime | None:
    """A day as people write it (2026-11-01), from its start in UTC."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--since {text!r}: write a date such as 2026-11-01") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


async def report_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    settings: Settings = args.settings
    journey = args.journey or settings.default_journey
    scope = [args.shop] if args.shop else None
    if args.shop and await shops.shop_summary(session, args.shop) is None:
        raise CommandError(f"no shop {args.shop!r} (see `cartnudge shops list`)")
    known = await journeys_of(args.sessions, scope)
    if journey not in known:
        where = f" of shop {args.shop}" if args.shop else ""
        listed = f" (carts entered: {', '.join(known)})" if known else ""
        raise CommandError(
            f"no cart{where} entered journey {journey!r} yet{did_you_mean(journey, known)}{listed}"
        )
    report = await journey_report(
        args.sessions,
        journey=journey,
        shops=scope,
        since=since_date(args.since),
        settings=settings,
    )
    if args.json:
        out.write(report.model_dump_json(indent=2) + "\n")
    else:
        out.write(format_report(report))


def register(topics: Any) -> None:
    report = topics.add_parser(
        "report", help="a journey's conversions and revenue by experiment arm and holdout"
    )
    report.add_argument("--journey", help="the journey (default: the default journey)")
    report.add_argument("--shop", help="one shop (default: every shop)")
    report.add_argument("--since", help="carts abandoned on or after this day, e.g. 2026-11-01")
    report.add_argument("--json", action="store_true", help="the report as JSON")
    report.set_defaults(handler=report_command)
