"""The looked-up names of the condition language (journey_schema.expressions.LOOKED_UP):
what cartnudge knows of a customer, and how much of the cart is out of stock now.

A local activity, run when a condition that uses them is evaluated; the workflow never
reads them itself. The windows end at the workflow's time, so a replayed or time-skipped
journey counts what was true when it got there.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity

from coupons.recipients import contact_digest
from data_at_rest.cipher import DataCipher
from rendering.live import ProductNow
from storage import coupons, outcomes
from storage.shops import ShopProfile, get_shop
from workflows import names
from workflows.payloads import CustomerFacts, CustomerLookup

COUPONS_WINDOW = timedelta(days=30)
RECOVERED_WINDOW = timedelta(days=90)

log = logging.getLogger(__name__)


class Catalog(Protocol):
    async def current(self, shop: ShopProfile, skus: Sequence[str]) -> dict[str, ProductNow] | None:
        """The products as the shop's catalog has them now; None without one or when it fails."""


class CustomerFactsActivities:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        cipher: DataCipher,  # the shop's catalog credentials are stored encrypted
        secret: str,  # keys the contact digests coupons are stored with (coupons/recipients)
        catalog: Catalog | None = None,
    ) -> None:
        self._sessions = session_factory
        self._cipher = cipher
        self._secret = secret
        self._catalog = catalog

    @activity.defn(name=names.LOOK_UP_CUSTOMER)
    async def look_up_customer(self, lookup: CustomerLookup) -> CustomerFacts:
        """The coupons, recovered carts or out-of-stock items a condition asks about."""
        asked = set(lookup.names)
        who = {"shop": lookup.shop, "customer_id": lookup.customer_id}
        facts = CustomerFacts()
        async with self._sessions() as session:
            if "customer.coupons_sent_30d" in asked:
                since = lookup.at - COUPONS_WINDOW
                digest = contact_digest(self._secret, lookup.contact)
                sent = await coupons.coupons_sent_since(
                    session, **who, contact_digest=digest, since=since
                )
                facts = facts.model_copy(update={"coupons_sent_30d": sent})
            if "customer.recovered_carts_90d" in asked:
                since = lookup.at - RECOVERED_WINDOW
                recovered = await outcomes.recovered_carts_since(session, **who, since=since)
                facts = facts.model_copy(update={"recovered_carts_90d": recovered})
            stock_asked = "cart.out_of_stock_count" in asked
            shop = (
                await get_shop(session, lookup.shop, cipher=self._cipher) if stock_asked else None
            )
        if stock_asked:
            sold_out = await self._out_of_stock(shop, lookup.skus)
            facts = facts.model_copy(update={"out_of_stock_count": sold_out})
        return facts

    async def _out_of_stock(self, shop: ShopProfile | None, skus: list[str]) -> int:
        """Items the catalog says are out of stock now; 0 when there is no catalog to ask or
        it did not answer (the snapshot is all we know, and the shop sent it as buyable)."""
        if shop is None or self._catalog is None or not skus:
            return 0
        products = await self._catalog.current(shop, skus)
        if products is None:
            return 0
        return sum(1 for sku in skus if sku in products and not products[sku].available)
