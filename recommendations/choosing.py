"""A cart's recommendations from the stored lists, and dropping unavailable products.

Pure: the send gathers the lists (recommendations/source.py) and the catalog's stock, and
these decide.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from decimal import Decimal

from recommendations.co_occurrence import Pair, Popular
from rendering.live import Recommendation


def for_cart(
    pairs: Iterable[Pair], popular: Iterable[Popular], *, cart_skus: Collection[str], limit: int
) -> list[str]:
    """At most `limit` skus, none of them in the cart: first the products bought with the
    cart's items, by their best lift with any item (then most orders together, then sku),
    then the shop's popular products in their order."""
    in_cart = set(cart_skus)
    best: dict[str, tuple[Decimal, int]] = {}
    for pair in pairs:
        if pair.sku not in in_cart or pair.recommended_sku in in_cart:
            continue
        score = (pair.lift, pair.orders_together)
        best[pair.recommended_sku] = max(best.get(pair.recommended_sku, score), score)
    chosen = sorted(best, key=lambda sku: (-best[sku][0], -best[sku][1], sku))
    for item in sorted(popular, key=lambda p: p.rank):
        if item.sku not in in_cart and item.sku not in best:
            chosen.append(item.sku)
    return chosen[: max(limit, 0)]


def pick(
    candidates: Sequence[Recommendation], unavailable: Collection[str], limit: int
) -> list[Recommendation]:
    """The first `limit` candidates that are not unavailable (out of stock, no longer
    sold), in their order. Ask the source for more than needed (e.g. 2 x limit) so the
    message still has `limit` when some are out of stock."""
    return [c for c in candidates if c.sku not in unavailable][: max(limit, 0)]
