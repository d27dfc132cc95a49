"""`cartnudge journeys publish|activate|rollback|status`: releases and what is live.

    cartnudge journeys publish [NAME [VERSION]] [--by NAME]
    cartnudge journeys activate NAME VERSION [--share PERCENT] [--shop SHOP] [--by NAME]
    cartnudge journeys rollback NAME [--shop SHOP] [--by NAME]
    cartnudge journeys status
    cartnudge journeys history [NAME]

`--by` is who does it, for the audit trail (default: the login name).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from journey_schema.errors import JourneyNotFound
from journey_schema.journey_files import read_for_publishing
from journey_schema.providers import capabilities_of
from releases.activation import (
    ActivationRefused,
    activate,
    rollback,
    scope_name,
    share_to_weight,
)
from releases.publishing import Published, publish
from releases.split import describe, from_rows
from releases.status import activation_log, journey_status
from settings import Settings
from temporal_connection import connect_temporal
from workflows.client import carts_in_flight


def _by(args: argparse.Namespace) -> str:
    return str(args.by or getpass.getuser())


async def publish_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    settings: Settings = args.settings
    files = read_for_publishing(
        settings.journeys_dir, public_url=capabilities_of(settings).public_url
    )
    try:
        results = await publish(
            args.sessions, files, journey=args.name, version=args.version, by=_by(args)
        )
    except JourneyNotFound as err:
        raise CommandError(str(err)) from None
    for result in results:
        out.write(f"{result}\n")
    refused = [result for result in results if result.state is Published.REFUSED]
    if refused:
        raise CommandError(f"{len(refused)} version(s) not published; see above")


async def activate_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    try:
        weight = share_to_weight(args.share)
        activation = await activate(
            session,
            journey=args.name,
            version=args.version,
            weight=weight,
            shop=args.shop,
            by=_by(args),
            capabilities=capabilities_of(args.settings),
            default_journey=args.settings.default_journey,
        )
    except ActivationRefused as err:
        raise CommandError(str(err)) from None
    await session.commit()
    live = describe(from_rows(activation.split))
    out.write(f"{scope_name(args.name, args.shop)}: new carts get {live}\n")


async def rollback_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    try:
        activation = await rollback(
            session,
            journey=args.name,
            shop=args.shop,
            by=_by(args),
            capabilities=capabilities_of(args.settings),
            default_journey=args.settings.default_journey,
        )
    except ActivationRefused as err:
        raise CommandError(str(err)) from None
    await session.commit()
    live = describe(from_rows(activation.split))
    out.write(f"{scope_name(args.name, args.shop)} rolled back: new carts get {live}\n")


async def status_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    settings: Settings = args.settings
    try:
        client = await connect_temporal(settings)
    except RuntimeError as err:  # the SDK's "Failed client connect"
        reports = await journey_status(
            session, None, unreachable=f"Temporal at {settings.temporal_address}: {err}"
        )
    else:
        reports = await journey_status(session, lambda release: carts_in_flight(client, release))
    if not reports:
        out.write("no journey is published yet: run `cartnudge journeys publish`\n")
    for report in reports:
        out.write("\n".join(report.lines()) + "\n")


async def history_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    lines = await activation_log(session, args.name)
    if not lines:
        out.write("no activation yet\n")
    for line in lines:
        out.write(f"{line}\n")


def register(commands: Any) -> None:
    def with_by(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--by", help="who does this, for the audit trail (default: login)")

    publishing = commands.add_parser(
        "publish", help="store the valid versions in journeys/ as releases (never changed)"
    )
    publishing.add_argument("name", nargs="?", help="one journey (default: all)")
    publishing.add_argument("version", nargs="?", type=int, help="one version (default: all)")
    with_by(publishing)
    publishing.set_defaults(handler=publish_command)

    activating = commands.add_parser(
        "activate", help="make a published version live for new carts (or a share of them)"
    )
    activating.add_argument("name")
    activating.add_argument("version", type=int)
    activating.add_argument(
        "--share",
        default="100",
        help="percent of new carts (default 100); the current release keeps the rest",
    )
    activating.add_argument("--shop", help="only for this shop (default: every shop)")
    with_by(activating)
    activating.set_defaults(handler=activate_command)

    rolling_back = commands.add_parser(
        "rollback", help="return to the activation live before the current one"
    )
    rolling_back.add_argument("name")
    rolling_back.add_argument("--shop", help="the shop's own activation (default: every shop)")
    with_by(rolling_back)
    rolling_back.set_defaults(handler=rollback_command)

    commands.add_parser(
        "status", help="what is live, since when, by whom, and carts in flight per release"
    ).set_defaults(handler=status_command)

    history = commands.add_parser(
        "history", help="every activation and rollback, who and when (the audit trail)"
    )
    history.add_argument("name", nargs="?", help="one journey (default: all)")
    history.set_defaults(handler=history_command)
