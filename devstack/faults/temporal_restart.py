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

from devstack.faults.drill import DrillStack, HealthWatch, Shop
from devstack.faults.report import DrillReport

log = logging.getLogger("cartnudge.faults")

NAME = "temporal-restart"


async def run(stack: DrillStack, *, carts: int, outage: float) -> DrillReport:
    """`carts` carts, three quarters before the kill and the rest during the outage."""
    drill = stack.begin(carts)
    middle = drill.first + max(1, carts * 3 // 4)
    shop = Shop(stack.api, give_up_after=outage * 4 + 120)
    before = asyncio.create_task(shop.steady(drill.first, middle, per_second=5))
    # mid-journeys: some messages out, most still to send
    await drill.wait_until(lambda: drill.delivered() >= max(1, carts // 2), timeout=120)
    log.info("%s: SIGKILL with %d messages delivered", NAME, drill.delivered())
    stack.temporal.kill()
    down_at = time.monotonic()
    during = asyncio.create_task(
        shop.steady(middle, drill.end, per_second=(drill.end - middle) / max(outage * 0.8, 0.1))
    )
    watch = HealthWatch(stack.api)
    await watch.during(asyncio.sleep(outage))
    await stack.temporal.start()
    down_for = time.monotonic() - down_at
    log.info("%s: Temporal back after %.1fs", NAME, down_for)
    await asyncio.gather(before, during)
    await drill.journeys_finish(timeout=outage + 120 + carts)
    return await drill.report(
        NAME,
        shop,
        outage_seconds=down_for,
        healthz=watch.named,
        notes=(f"/healthz slowest {watch.slowest_ms:.0f} ms during the outage",),
    )
