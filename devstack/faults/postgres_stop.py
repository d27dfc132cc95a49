"""Drill 2: PostgreSQL stopped under a steady intake, then started again on its data.

The shop hands in carts at a steady rate throughout and retries each 503 after its
Retry-After, as Shopify does. Every refused event must be a 503 with Retry-After, never a
2xx for what was not stored (what got a 2xx is compared with the carts table), the retries
must land, and the journeys (whose activities failed meanwhile) must resume and finish.
"""

from __future__ import annotations

import asyncio
import logging
import time

from devstack.faults.drill import DrillStack, HealthWatch, Shop
from devstack.faults.report import DrillReport

log = logging.getLogger("cartnudge.faults")

NAME = "postgres-stop"


async def run(stack: DrillStack, *, carts: int, outage: float) -> DrillReport:
    """`carts` carts over about twice the outage; the database stops after the first ones."""
    drill = stack.begin(carts)
    shop = Shop(stack.api, give_up_after=outage * 4 + 120)
    intake = asyncio.create_task(
        shop.steady(drill.first, drill.end, per_second=carts / max(outage * 2, 1))
    )
    await drill.wait_until(lambda: len(shop.acknowledged) >= max(1, carts // 4), timeout=120)
    log.info("%s: stopping PostgreSQL with %d carts taken", NAME, len(shop.acknowledged))
    await asyncio.to_thread(stack.postgres.halt)
    down_at = time.monotonic()

    async def outage_passes() -> None:
        await asyncio.sleep(outage)
        await asyncio.to_thread(stack.postgres.resume)

    watch = HealthWatch(stack.api)
    await watch.during(outage_passes())
    down_for = time.monotonic() - down_at
    log.info("%s: PostgreSQL back after %.1fs", NAME, down_for)
    await intake
    await drill.journeys_finish(timeout=outage + 120 + carts * 0.6)
    return await drill.report(
        NAME,
        shop,
        outage_seconds=down_for,
        healthz=watch.named,
        notes=(f"/healthz slowest {watch.slowest_ms:.0f} ms during the outage",),
    )
