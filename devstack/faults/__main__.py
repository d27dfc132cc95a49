"""`python -m devstack.faults`: the fault drills on one local stack, one line of counts each.

The exit status is 0 only when every drill ran clean (every journey finished, nothing
duplicated or lost, every 503 with Retry-After, no 2xx for what was not stored).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devstack.faults import postgres_stop, provider_down, temporal_restart
from devstack.faults.drill import DrillStack
from devstack.faults.report import DrillReport
from devstack.stack import StackError, prepare_bench_process

log = logging.getLogger("cartnudge.faults")


@dataclass(frozen=True)
class Drill:
    run: Callable[..., Coroutine[Any, Any, DrillReport]]
    carts: int  # as `make faults` runs it
    outage: float  # seconds


DRILLS = {
    temporal_restart.NAME: Drill(temporal_restart.run, carts=200, outage=15),
    postgres_stop.NAME: Drill(postgres_stop.run, carts=200, outage=30),
    provider_down.NAME: Drill(provider_down.run, carts=100, outage=120),
}


async def run_drills(
    names: Sequence[str],
    *,
    logs: Path,
    carts: int | None = None,
    outage: float | None = None,
    each: Callable[[DrillReport], None] = lambda _report: None,
) -> list[DrillReport]:
    """Bring the stack up once and run the named drills on it in turn; `carts` and
    `outage` instead of each drill's own. `each` sees every report as it is made."""
    reports = []
    async with AsyncExitStack() as exits:
        stack = DrillStack(logs)
        await stack.start(exits)
        for name in names:
            drill = DRILLS[name]
            log.info("fault %s: starting", name)
            report = await drill.run(
                stack, carts=carts or drill.carts, outage=outage or drill.outage
            )
            each(report)
            reports.append(report)
    return reports


def _print(report: DrillReport) -> None:
    print(report.table())
    print(report.summary, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--drill", choices=sorted(DRILLS), action="append", help="(repeatable)")
    parser.add_argument("--carts", type=int, default=None, help="instead of each drill's own")
    parser.add_argument("--outage", type=float, default=None, help="seconds, instead of each's")
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args()
    prepare_bench_process()
    for chatty in ("cartnudge.sms_stub", "mail.log", "cartnudge.outages"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="cartnudge-faults-") as scratch:
        logs = args.logs or Path(scratch)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            reports = asyncio.run(
                run_drills(
                    args.drill or list(DRILLS),
                    logs=logs,
                    carts=args.carts,
                    outage=args.outage,
                    each=_print,
                )
            )
        except StackError as err:
            print(f"faults: could not run: {err}", file=sys.stderr)
            sys.exit(2)
    sys.exit(0 if all(report.clean for report in reports) else 1)


if __name__ == "__main__":
    main()
