"""The order check before every send: our own order records, then the shop's order lookup.

A customer who bought is never messaged, even when the purchase event never reached us:
when our records hold no order for the cart and the shop has an order lookup endpoint
(sending/order_lookup.py), it is asked, and an order it reports is stored so later checks
and the API see it. An endpoint that can not answer raises (`OrderLookupError`): the send
waits, it never goes out unchecked.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from sending.order_lookup import OrderLookupError, ShopOrderLookup
from storage.orders import insert_order, order_for_cart
from storage.shops import ShopProfile
from workflows.payloads import OrderPlaced

log = logging.getLogger("cartnudge.sending")


class LookupNotConfigured(OrderLookupError):
    """The shop has an endpoint, but this worker has no HTTP client to ask it (wiring bug)."""


class OrderCheck:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        lookup: ShopOrderLookup | None = None,
    ) -> None:
        """`lookup` asks shops' endpoints; without it a shop that has one can not be checked."""
        self._sessions = session_factory
        self._lookup = lookup

    async def find(
        self, *, shop: str, cart_id: str, profile: ShopProfile | None
    ) -> OrderPlaced | None:
        """The cart's completed order: from our records, else from the shop's order lookup.

        `profile`: the shop's row, which holds its endpoint (None: the shop has no row).
        """
        order = await self.recorded(shop=shop, cart_id=cart_id)
        if order is not None:
            return order
        if profile is None or not profile.order_lookup_url:
            return None
        if self._lookup is None:  # fail loudly rather than skip the check
            raise LookupNotConfigured(
                f"shop {shop} has an order lookup endpoint, but this worker has no HTTP"
                " client to ask it"
            )
        # The session is closed by now: no pooled connection waits on the shop's server.
        found = await self._lookup.find(
            shop=shop,
            url=profile.order_lookup_url,
            token=profile.order_lookup_token,
            cart_id=cart_id,
        )
        if found is not None:
            await self._record(shop, cart_id, found)
        return found

    async def recorded(self, *, shop: str, cart_id: str) -> OrderPlaced | None:
        """The cart's order in our own records, however it reached us."""
        async with self._sessions() as session:
            order = await order_for_cart(session, shop=shop, cart_id=cart_id)
        if order is None:
            return None
        return OrderPlaced(
            order_id=order.order_id,
            total=order.total,
            currency=order.currency,
            placed_at=order.placed_at,
        )

    async def _record(self, shop: str, cart_id: str, order: OrderPlaced) -> None:
        """Store the shop's order so later checks and the API see the cart as bought."""
        async with self._sessions() as session:
            created = await insert_order(
                session,
                shop=shop,
                order_id=order.order_id,
                cart_id=cart_id,
                total=order.total,
                currency=order.currency,
                placed_at=order.placed_at,
            )
            await session.commit()
        if created is not None:
            log.info(
                "shop %s's order lookup reported order %s for cart %s, which we had not"
                " received: stored it",
                shop,
                order.order_id,
                cart_id,
            )
