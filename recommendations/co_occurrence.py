"""Products bought together, learned from a shop's orders: co-occurrence ranked by lift.

Over the orders of the last `Method.window` (180 days), each order is a basket of distinct
products (quantity does not matter). With N baskets, n(A) of them holding A and n(A,B)
holding both A and B:

    lift(A, B) = P(A and B) / (P(A) P(B)) = N * n(A,B) / (n(A) * n(B))

Lift 2 means B is in A's orders twice as often as in orders in general. For each A the
products B with n(A,B) >= `min_orders_together` and lift above 1 (more often together than
by chance) are kept, best lift first, then more orders together, then sku; the first
`per_product` of them. The popular products are those in the most distinct orders of the
last `popular_window` (30 days), then by sku.

Pure and deterministic: the same baskets and `as_of` give the same lists. Lifts are ranked
exactly (fractions) and rounded to 4 decimals only in the answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from itertools import combinations

LIFT_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Method:
    """The method's knobs; the defaults are what the nightly refresh uses."""

    window: timedelta = timedelta(days=180)
    min_orders_together: int = 3  # fewer is chance, not a pattern
    per_product: int = 10  # the products kept for each product
    popular_window: timedelta = timedelta(days=30)
    popular_count: int = 20


DEFAULT_METHOD = Method()


@dataclass(frozen=True)
class Basket:
    """The distinct products of one order."""

    order_id: str
    placed_at: datetime
    skus: frozenset[str]


@dataclass(frozen=True)
class Pair:
    """`recommended_sku` at `rank` (1 = best) among the products bought with `sku`."""

    sku: str
    rank: int
    recommended_sku: str
    lift: Decimal
    orders_together: int


@dataclass(frozen=True)
class Popular:
    rank: int  # 1 = in the most orders
    sku: str
    orders: int


@dataclass(frozen=True)
class Learned:
    """What a shop's orders teach, as of one moment."""

    orders: int  # baskets in the window (N)
    pairs: tuple[Pair, ...]  # by sku, then rank
    popular: tuple[Popular, ...]  # by rank

    @property
    def skus(self) -> frozenset[str]:
        """Every product the lists may show."""
        return frozenset(p.recommended_sku for p in self.pairs) | {p.sku for p in self.popular}


def learn(
    baskets: Iterable[Basket], *, as_of: datetime, method: Method = DEFAULT_METHOD
) -> Learned:
    """The pairs and popular products of the baskets placed in the windows before `as_of`."""
    merged: dict[str, set[str]] = {}
    placed: dict[str, datetime] = {}
    for basket in baskets:
        if not as_of - method.window <= basket.placed_at <= as_of or not basket.skus:
            continue
        merged.setdefault(basket.order_id, set()).update(basket.skus)
        placed[basket.order_id] = basket.placed_at
    recent = as_of - method.popular_window
    return Learned(
        orders=len(merged),
        pairs=_pairs(list(merged.values()), method),
        popular=_popular([skus for o, skus in merged.items() if placed[o] >= recent], method),
    )


def lift(*, orders: int, with_a: int, with_b: int, together: int) -> Fraction:
    """N * n(A,B) / (n(A) * n(B)), exactly."""
    return Fraction(orders * together, with_a * with_b)


def _pairs(baskets: list[set[str]], method: Method) -> tuple[Pair, ...]:
    orders = len(baskets)
    single: Counter[str] = Counter()
    together: Counter[tuple[str, str]] = Counter()
    for skus in baskets:
        single.update(skus)
        together.update(combinations(sorted(skus), 2))
    candidates: dict[str, list[tuple[Fraction, int, str]]] = {}
    for (a, b), count in together.items():
        if count < method.min_orders_together:
            continue
        value = lift(orders=orders, with_a=single[a], with_b=single[b], together=count)
        if value <= 1:
            continue
        candidates.setdefault(a, []).append((value, count, b))
        candidates.setdefault(b, []).append((value, count, a))
    pairs: list[Pair] = []
    for sku in sorted(candidates):
        ranked = sorted(candidates[sku], key=lambda c: (-c[0], -c[1], c[2]))
        pairs.extend(
            Pair(
                sku=sku,
                rank=rank,
                recommended_sku=other,
                lift=_rounded(value),
                orders_together=count,
            )
            for rank, (value, count, other) in enumerate(ranked[: method.per_product], start=1)
        )
    return tuple(pairs)


def _popular(baskets: list[set[str]], method: Method) -> tuple[Popular, ...]:
    counts: Counter[str] = Counter()
    for skus in baskets:
        counts.update(skus)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return tuple(
        Popular(rank=rank, sku=sku, orders=orders)
        for rank, (sku, orders) in enumerate(ranked[: method.popular_count], start=1)
    )


def _rounded(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(LIFT_PLACES)
