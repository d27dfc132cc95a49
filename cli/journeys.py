"""`cartnudge journeys ...`: the marketer's path from a journey file to live carts.

Each command lives in its own module with a `register(commands)` that adds its parser; a
handler is `async def handler(session, args, out)` like every other command, with the
deployment's settings in `args.settings` and the session factory in `args.sessions`.
"""

from __future__ import annotations

import argparse
from typing import Any

from cli import journey_diff, journey_preview, journey_releases, journey_simulate

# Modules that add a `journeys` command; each has `register(commands)`.
COMMAND_MODULES: list[Any] = [journey_releases, journey_preview, journey_simulate, journey_diff]


def register(topics: Any) -> None:
    journeys: argparse.ArgumentParser = topics.add_parser(
        "journeys", help="publish, activate, preview and simulate journeys"
    )
    commands = journeys.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(commands)
