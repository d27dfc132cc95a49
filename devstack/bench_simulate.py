"""How long `cartnudge journeys simulate` takes for every built-in persona of abandoned_cart.

    python -m devstack.bench_simulate [--version 2] [--runs 3]

Prints `simulate: personas=N seconds=S` per run: the whole simulation (test server,
migrated database, workers, every persona played to its end), not the imports. A
simulation of a 7-day journey for all personas should take under 10 s on a 2-core box.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from journey_schema.journey_files import load_draft
from journey_tools.personas import BUILT_IN
from journey_tools.simulate import simulate

JOURNEYS = Path(__file__).resolve().parents[1] / "journeys"


async def bench(version: int, runs: int) -> None:
    release = load_draft(JOURNEYS, "abandoned_cart", version)
    for _ in range(runs):
        started = time.monotonic()
        timelines = await simulate(release, BUILT_IN)
        print(f"simulate: personas={len(timelines)} seconds={time.monotonic() - started:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", type=int, default=2, help="of abandoned_cart (default 2)")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(bench(args.version, args.runs))


if __name__ == "__main__":
    main()
