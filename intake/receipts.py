"""A provider's event proves it has the message: a send cut off mid-delivery is settled.

Every event a provider posts about one of our messages carries our outbox key back
(SendGrid's custom arg, Postmark's Metadata, the key in Twilio's status callback URL),
whatever its kind, tracked or not (`processed`, `queued`, `sent`...). A row the send path
left `sending` or `uncertain` (a worker died, an answer was lost) becomes `sent`
(storage.outbox.settle_by_event), so the send activity's next look reports it SENT
instead of resending it after the provider's silence (sending/delivery.py).

Settled before the events are taken (intake.engagement): committed before the answer,
so a provider's retry after a 503 settles nothing twice.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.outbox import settle_by_event

log = logging.getLogger("cartnudge.intake")


@dataclass(frozen=True)
class Receipt:
    """A provider saying it has the message with our `key` (any event about it)."""

    provider: str  # "sendgrid", "postmark", "twilio"
    key: str
    provider_message_id: str | None = None


async def settle_from_receipts(
    receipts: Sequence[Receipt], *, sessions: async_sessionmaker[AsyncSession]
) -> int:
    """Settle as sent each receipt's row still open after a cut-off; how many were."""
    if not receipts:
        return 0
    settled = 0
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        for receipt in receipts:
            if await settle_by_event(
                session, key=receipt.key, provider_message_id=receipt.provider_message_id, at=now
            ):
                settled += 1
                log.info(
                    "%s has %s: its outbox row is settled as sent", receipt.provider, receipt.key
                )
    return settled
