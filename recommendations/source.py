"""What a send asks for: products to show beside a cart, from the lists the nightly
refresh keeps (never computed here: one indexed read)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from recommendations.choosing import for_cart, pick
from rendering.live import Recommendation
from storage.recommendations import ProductDetails, stored_lists

# What a send needs: the candidates, and `pick` to drop the catalog's unavailable ones.
__all__ = ["pick", "recommendations_for"]


async def recommendations_for(
    sessions: AsyncSession | async_sessionmaker[AsyncSession],
    *,
    shop: str,
    cart_skus: Sequence[str],
    limit: int,
    currency: str | None = None,
) -> list[Recommendation]:
    """At most `limit` products for a cart: bought together with its items (best lift
    across them), then the shop's popular ones, never what is in the cart. With `currency`
    (the cart's), a price in another currency is left out rather than shown wrong.

    Out-of-stock products are not known here: ask for more (2 x limit) and drop them with
    `pick(candidates, unavailable, limit)`.
    """
    if limit <= 0:
        return []
    if isinstance(sessions, AsyncSession):
        lists = await stored_lists(sessions, shop=shop, skus=cart_skus)
    else:
        async with sessions() as session:
            lists = await stored_lists(session, shop=shop, skus=cart_skus)
    chosen = for_cart(lists.pairs, lists.popular, cart_skus=cart_skus, limit=limit)
    return [_shown(lists.products[sku], currency) for sku in chosen]


def _shown(product: ProductDetails, currency: str | None) -> Recommendation:
    return Recommendation(
        sku=product.sku,
        name=product.name,
        price=product.price if currency in (None, product.currency) else None,
        image_url=product.image_url,
        url=product.url,
    )
