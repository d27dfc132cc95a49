"""The customer's consent, stated on its own rather than with a cart."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from contract.carts import Consent
from storage.consents import record_consent


async def take_consent(
    *,
    shop: str,
    customer_id: str,
    consent: Consent,
    updated_at: datetime,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Keep the statement unless a newer one (by `updated_at`) is held; committed on return.

    The send activity reads consent at send time: a withdrawal stops every cart's messages.
    """
    async with sessions.begin() as session:
        await record_consent(
            session,
            shop=shop,
            customer_id=customer_id,
            consent=consent.model_dump(),
            updated_at=updated_at,
        )
