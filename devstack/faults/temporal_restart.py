"""Drill 1: the Temporal server SIGKILLed while carts wait and sends are in flight, then
started again on its database file and port.

While it is down the shop keeps handing in carts: each PUT must get 503 with Retry-After
(the slowest is reported), /healthz must name `temporal`, and after the restart every
journey must finish with each message delivered once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from pathlib import Path

from devstack.faults.drill import DrillStack, HealthWatch, Shop
from devstack.faults.report import DrillReport

log = logging.getLogger("cartnudge.faults")

NAME = "temporal-restart"


async def run(*, carts: int, outage: float, logs: Path) -> DrillReport:
    """`carts` carts, three quarters before the kill and the rest during the outage."""
    before = max(1, carts * 3 // 4)
    async with AsyncExitStack() as stack:
        drill = DrillStack(logs)
        await drill.start(stack)
        shop = Shop(drill.api, give_up_after=outage * 4 + 120)
        first = asyncio.create_task(shop.steady(before, per_second=20))
        # mid-journeys: some messages out, the rest still to send
        await drill.wait_until(lambda: drill.delivered() >= max(1, before // 2), timeout=120)
        log.info("killing Temporal with %d messages delivered", drill.delivered())
        drill.temporal.kill()
        down_at = time.monotonic()

        async def outage_passes() -> None:
            await asyncio.sleep(outage)

        watch = HealthWatch(drill.api)
        during = asyncio.create_task(
            shop.steady_range(before, carts, per_second=(carts - before) / max(outage * 0.8, 0.1))
        )
        await watch.during(outage_passes())
        await drill.temporal.start()
        down_for = time.monotonic() - down_at
        log.info("Temporal back after %.1fs", down_for)
        await asyncio.gather(first, during)
        await drill.journeys_finish(carts, timeout=outage + 60 + carts * 0.6)
        return await drill.report(
            NAME,
            carts,
            shop,
            outage_seconds=down_for,
            healthz=watch.named,
            notes=(f"/healthz slowest {watch.slowest_ms:.0f} ms during the outage",),
        )
