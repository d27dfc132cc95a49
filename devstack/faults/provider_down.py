"""Drill 3: the providers down: the SMTP server answering 421, Twilio 503 with Retry-After.

The carts go in while both refuse; the sends fail, are retried (the journey's send retry
policy, Twilio's Retry-After) and, once the providers are back, delivered, none twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from pathlib import Path

from devstack.faults.drill import DrillStack, Shop
from devstack.faults.report import DrillReport

log = logging.getLogger("cartnudge.faults")

NAME = "provider-down"


async def run(*, carts: int, outage: float, logs: Path) -> DrillReport:
    async with AsyncExitStack() as stack:
        drill = DrillStack(logs)
        await drill.start(stack)
        drill.smtp.down = drill.sms.down = True
        down_at = time.monotonic()
        shop = Shop(drill.api, give_up_after=120)
        await shop.steady(carts, per_second=20)
        await asyncio.sleep(max(0.0, outage - (time.monotonic() - down_at)))
        drill.smtp.down = drill.sms.down = False
        down_for = time.monotonic() - down_at
        log.info(
            "providers back after %.1fs: SMTP refused %d, Twilio %d",
            down_for, drill.smtp.refusals, drill.sms.refusals,
        )  # fmt: skip
        # the send retry policy backs off up to 5 minutes between attempts
        await drill.journeys_finish(carts, timeout=outage + 360 + carts * 0.6)
        return await drill.report(
            NAME,
            carts,
            shop,
            outage_seconds=down_for,
            notes=(
                f"refused while down: SMTP {drill.smtp.refusals} times,"
                f" Twilio {drill.sms.refusals} times",
            ),
        )
