"""Order check before every send: our own order records, then the shop's order lookup.

A customer who bought is never messaged, even when the purchase event never reached us:
when our records hold no order for the cart and the shop has an order lookup endpoint
(activities/order_lookup.py), the activity asks it, and stores an order it reports so later
checks and the API see it. An endpoint that can not answer fails the activity, which
Temporal retries (the workflow retries it without limit): the send waits, it never goes
out unchecked.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.order_lookup import LookupBroken, LookupUnavailable, ShopOrderLookup
from storage.orders import insert_order, order_for_cart
from storage.shops import ShopProfile, get_shop
from workflows import names
from workflows.payloads import OrderLookup, OrderPlaced

# A broken endpoint (401, 403, a body that is not an order) is not fixed within seconds:
# ask again this much later rather than every minute for every cart of the shop.
BROKEN_LOOKUP_RETRY = timedelta(minutes=10)


class OrderActivities:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        lookup: ShopOrderLookup | None = None,
    ) -> None:
        """`lookup` asks shops' endpoints; without it a shop that has one can not be checked."""
        self._sessions = session_factory
        self._lookup = lookup

    @activity.defn(name=names.FIND_ORDER)
    async def find_order(self, lookup: OrderLookup) -> OrderPlaced | None:
        """The cart's completed order: from our records, else from the shop's order lookup."""
        async with self._sessions() as session:
            order = await order_for_cart(session, shop=lookup.shop, cart_id=lookup.cart_id)
            if order is not None:
                return OrderPlaced(
                    order_id=order.order_id,
                    total=order.total,
                    currency=order.currency,
                    placed_at=order.placed_at,
                )
            shop = await get_shop(session, lookup.shop)
        if shop is None or not shop.order_lookup_url:
            return None
        # The session is closed by now: no pooled connection waits on the shop's server.
        found = await self._ask_shop(shop, shop.order_lookup_url, lookup.cart_id)
        if found is not None:
            await self._record(shop.shop, lookup.cart_id, found)
        return found

    async def _ask_shop(self, shop: ShopProfile, url: str, cart_id: str) -> OrderPlaced | None:
        if self._lookup is None:  # a wiring bug: fail loudly rather than skip the check
            raise ApplicationError(
                f"shop {shop.shop} has an order lookup endpoint, but this worker has no HTTP"
                " client to ask it",
                type="OrderLookupNotConfigured",
            )
        try:
            return await self._lookup.find(
                shop=shop.shop, url=url, token=shop.order_lookup_token, cart_id=cart_id
            )
        except LookupUnavailable as err:
            activity.logger.warning("%s; the send waits and the lookup is retried", err)
            delay = timedelta(seconds=err.retry_after) if err.retry_after is not None else None
            raise ApplicationError(
                str(err), type="OrderLookupUnavailable", next_retry_delay=delay
            ) from err
        except LookupBroken as err:
            activity.logger.error(
                "%s. Reminders for shop %s are held until its order lookup answers as"
                " documented (README, 'Order lookup endpoint')",
                err,
                shop.shop,
            )
            raise ApplicationError(
                str(err), type="OrderLookupBroken", next_retry_delay=BROKEN_LOOKUP_RETRY
            ) from err

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
            activity.logger.info(
                "shop %s's order lookup reported order %s for cart %s, which we had not"
                " received: stored it",
                shop,
                order.order_id,
                cart_id,
            )
