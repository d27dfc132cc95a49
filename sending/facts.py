"""The facts the send policy decides on, read at send time (never cached across sends).

The shop's profile, and per channel of the step: the address, whether a provider is
configured, consent as the shop last stated it, the suppression list; the consent registry
when the policy asks for it. Every read is a storage function; no session is open while the
registry is asked.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from data_at_rest.cipher import DataCipher
from sending.consent_registry import CHECKED_CHANNELS, ConsentRegistry
from sending.policy import CUSTOMER_CHANNELS, ChannelFacts, address_of
from storage.consents import current_consent
from storage.shops import ShopProfile, get_shop
from storage.suppressions import suppression_reason
from workflows.payloads import SendRequest


class SendFacts:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        cipher: DataCipher,
        registry: ConsentRegistry | None = None,
    ) -> None:
        self._sessions = session_factory
        self._cipher = cipher
        self._registry = registry
        self.registry_channels = CHECKED_CHANNELS if registry is not None else frozenset()

    async def shop(self, shop: str) -> ShopProfile | None:
        """The shop's profile, secrets decrypted; raises UnreadableSecret when one does not."""
        # Read at every send, not cached: one primary-key read beside the send's other
        # queries, and a shop's new sender or timezone applies at once on every worker.
        async with self._sessions() as session:
            return await get_shop(session, shop, cipher=self._cipher)

    async def channels(
        self, request: SendRequest, *, configured: Collection[str]
    ) -> list[ChannelFacts]:
        """One per channel of the step, in its order; `configured`: channels with a provider."""
        customer = request.cart.customer
        facts = []
        async with self._sessions() as session:
            for channel in request.channels:
                address = address_of(request, channel)
                has_provider = channel in configured
                known = ChannelFacts(
                    channel,
                    address,
                    has_provider,
                    cart_consent=getattr(customer.consent, channel, False),
                )
                if has_provider and address is not None and channel in CUSTOMER_CHANNELS:
                    stated = await current_consent(
                        session, shop=request.shop, customer_id=customer.id, channel=channel
                    )
                    suppressed = await suppression_reason(
                        session, shop=request.shop, channel=channel, address=address
                    )
                    known = replace(known, stated_consent=stated, suppressed=suppressed)
                facts.append(known)
        return facts

    async def registry_allows(
        self, *, shop: str, facts: ChannelFacts, now: datetime
    ) -> ChannelFacts:
        """`facts` with the consent registry's answer (cached for a while)."""
        assert self._registry is not None and facts.address is not None
        allowed = await self._registry.allows(
            shop=shop, channel=facts.channel, address=facts.address, now=now
        )
        return replace(facts, registry_allows=allowed)
