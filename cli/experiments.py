"""`cartnudge experiments decide|stop`: end an experiment by hand.

    cartnudge experiments decide JOURNEY EXPERIMENT ARM [--version V] [--by NAME]
    cartnudge experiments stop JOURNEY EXPERIMENT [--version V] [--by NAME]

`decide` makes ARM the winner; `stop` ends the experiment without one (new carts take
the control, the first arm). Either way, new carts reaching the split take that arm,
and the report keeps the numbers as they were (experiments/decisions.py).
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from experiments.decisions import DecisionRefused, decide_by_hand


async def decide_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    try:
        recorded = await decide_by_hand(
            session,
            journey=args.journey,
            experiment=args.experiment,
            arm=getattr(args, "arm", None),
            version=args.version,
            by=args.by or getpass.getuser(),
        )
    except DecisionRefused as err:
        raise CommandError(str(err)) from None
    await session.commit()
    for decision in recorded:
        out.write(
            f"{args.journey} ({decision.release_id[:12]}): {decision.experiment} "
            f"{decision.action}; new carts reaching the split take {decision.arm}\n"
        )


def register(topics: Any) -> None:
    experiments = topics.add_parser("experiments", help="decide or stop an experiment by hand")
    commands = experiments.add_subparsers(dest="command", required=True)
    deciding = commands.add_parser("decide", help="make an arm the winner for new carts")
    stopping = commands.add_parser(
        "stop", help="end the experiment without a winner: new carts take the control"
    )
    for parser in (deciding, stopping):
        parser.add_argument("journey")
        parser.add_argument("experiment")
        if parser is deciding:
            parser.add_argument("arm")
        parser.add_argument(
            "--version", type=int, help="only this version (default: every one with it)"
        )
        parser.add_argument("--by", help="who decides, for the record (default: login)")
        parser.set_defaults(handler=decide_command)
