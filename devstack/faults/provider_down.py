"""Drill 3: the providers down: the SMTP server answering 421, Twilio 503 with Retry-After.

The carts go in; once half of the first emails are out both refuse, so the other emails
and the SMS after them fail, are retried (the journey's send retry policy, Twilio's
Retry-After) and, once the providers are back, delivered, none twice.
"""

from __future__ import annotations

import asyncio
import logging
import time

from devstack.faults.drill import DrillStack, Shop
from devstack.faults.report import DrillReport

log = logging.getLogger("cartnudge.faults")

NAME = "provider-down"


async def run(stack: DrillStack, *, carts: int, outage: float) -> DrillReport:
    drill = stack.begin(carts)
    smtp_before, sms_before = stack.smtp.refusals, stack.sms.refusals
    shop = Shop(stack.api, give_up_after=120)
    await shop.steady(drill.first, drill.end, per_second=20)
    # down once the first emails are out: the rest of them, and the SMS after, refused
    await drill.wait_until(lambda: drill.delivered() >= max(1, carts // 2), timeout=120)
    stack.smtp.down = stack.sms.down = True
    down_at = time.monotonic()
    await asyncio.sleep(outage)
    stack.smtp.down = stack.sms.down = False
    down_for = time.monotonic() - down_at
    smtp, sms = stack.smtp.refusals - smtp_before, stack.sms.refusals - sms_before
    log.info("%s: back after %.1fs: SMTP refused %d, Twilio %d", NAME, down_for, smtp, sms)
    # the send retry policy backs off up to 5 minutes between attempts
    await drill.journeys_finish(timeout=outage + 360 + carts * 0.6)
    return await drill.report(
        NAME,
        shop,
        outage_seconds=down_for,
        refusals=smtp + sms,
        notes=(f"refused while down: SMTP {smtp} times, Twilio {sms} times",),
    )
