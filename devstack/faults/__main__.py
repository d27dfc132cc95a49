"""`python -m devstack.faults`: run the fault drills, one line of counts each.

The exit status is 0 only when every drill ran clean (every journey finished, nothing
duplicated or lost, every 503 with Retry-After, no 2xx for what was not stored).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from devstack.faults import postgres_stop, provider_down, temporal_restart
from devstack.faults.report import DrillReport
from devstack.stack import StackError, prepare_bench_process

Drill = Callable[..., Coroutine[Any, Any, DrillReport]]
# name: (the drill, its carts, its outage in seconds), as `make faults` runs them
DRILLS: dict[str, tuple[Drill, int, float]] = {
    temporal_restart.NAME: (temporal_restart.run, 200, 15),
    postgres_stop.NAME: (postgres_stop.run, 200, 30),
    provider_down.NAME: (provider_down.run, 100, 120),
}


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
    clean = True
    for name in args.drill or list(DRILLS):
        run, carts, outage = DRILLS[name]
        with tempfile.TemporaryDirectory(prefix=f"cartnudge-{name}-") as scratch:
            logs = (args.logs / name) if args.logs else Path(scratch)
            logs.mkdir(parents=True, exist_ok=True)
            try:
                report = asyncio.run(
                    run(carts=args.carts or carts, outage=args.outage or outage, logs=logs)
                )
            except StackError as err:
                print(f"fault {name}: could not run: {err}", file=sys.stderr)
                sys.exit(2)
        print(report.table())
        print(report.summary, flush=True)
        clean = clean and report.clean
    sys.exit(0 if clean else 1)


if __name__ == "__main__":
    main()
