"""The method on small baskets: lift, its thresholds, its tie-breaks, the windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

from recommendations.choosing import for_cart, pick
from recommendations.co_occurrence import Basket, Method, Pair, Popular, learn, lift
from rendering.live import Recommendation

AS_OF = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def baskets(*orders: str, days_ago: int = 1) -> list[Basket]:
    """One basket per string of space-separated skus."""
    return [
        Basket(f"{days_ago}-{n}", AS_OF - timedelta(days=days_ago), frozenset(skus.split()))
        for n, skus in enumerate(orders)
    ]


def test_lift_is_n_times_together_over_the_product_of_single_counts() -> None:
    assert lift(orders=200, with_a=120, with_b=32, together=30) == Fraction(25, 16)


def test_a_products_list_ranks_by_lift_not_by_orders_together() -> None:
    learned = learn(
        baskets(
            "a b e", "a b e", "a b e", "a c e", "a c e", "a c",
            "c", "d", "d", "d e", "e", "x",
        ),
        as_of=AS_OF,
    )  # fmt: skip
    of_a = [(p.recommended_sku, p.lift, p.orders_together) for p in learned.pairs if p.sku == "a"]
    # N = 12, a in 6 orders. b: in 3, all with a: 12*3/(6*3) = 2. c: in 4, 3 with a:
    # 12*3/(6*4) = 1.5. e: in 7, 5 with a: 12*5/(6*7) = 1.42857 -> 1.4286. d: never with a.
    assert of_a == [
        ("b", Decimal("2.0000"), 3),
        ("c", Decimal("1.5000"), 3),
        ("e", Decimal("1.4286"), 5),
    ]


def test_equal_lifts_rank_by_orders_together() -> None:
    learned = learn(baskets("a b c", "a b c", "a b c", "a c", "a c", "a c", *"zzzzzz"), as_of=AS_OF)
    # N = 12; a in 6, b in 3, c in 6. a & b: 12*3/(6*3) = 2; a & c: 12*6/(6*6) = 2.
    assert [
        (p.recommended_sku, p.lift, p.orders_together) for p in learned.pairs if p.sku == "a"
    ] == [
        ("c", Decimal("2.0000"), 6),
        ("b", Decimal("2.0000"), 3),
    ]


def test_ties_in_lift_and_support_are_settled_by_sku() -> None:
    learned = learn(baskets("a c", "a b", "a c", "a b", "a c", "a b", "z"), as_of=AS_OF)
    # N = 7; a in 6, b in 3, c in 3; a & b and a & c: 3 together, lift 7*3/(6*3) = 1.1667
    assert [(p.rank, p.recommended_sku) for p in learned.pairs if p.sku == "a"] == [
        (1, "b"),
        (2, "c"),
    ]


def test_pairs_under_minimum_support_or_not_above_chance_are_left_out() -> None:
    # N = 11. x and y: 2 orders, both together: lift 11*2/(2*2) = 5.5, but 2 < 3.
    # p and q: each in 6, 3 together: lift 11*3/(6*6) = 0.917, not above 1.
    learned = learn(
        baskets("x y", "x y", "p q", "p q", "p q", "p", "p", "p", "q", "q", "q"),
        as_of=AS_OF,
    )
    assert learned.pairs == ()


def test_an_order_counts_once_however_many_lines_or_pieces() -> None:
    split = [
        Basket("o1", AS_OF, frozenset({"a"})),
        Basket("o1", AS_OF, frozenset({"b"})),  # a second line of the same order
        *baskets("a b", "a b", "c"),
    ]
    learned = learn(split, as_of=AS_OF)
    assert learned.orders == 4
    assert [(p.sku, p.recommended_sku, p.orders_together) for p in learned.pairs] == [
        ("a", "b", 3),
        ("b", "a", 3),
    ]


def test_windows_bound_pairs_and_popular() -> None:
    old = baskets("a b", "a b", "a b", days_ago=200)
    middle = baskets("c", "c", days_ago=60)
    recent = baskets("d", days_ago=5)
    learned = learn(old + middle + recent, as_of=AS_OF)
    assert learned.orders == 3
    assert learned.pairs == ()
    assert learned.popular == (Popular(rank=1, sku="d", orders=1),)
    shorter = learn(middle + recent, as_of=AS_OF, method=Method(popular_window=timedelta(90)))
    assert [p.sku for p in shorter.popular] == ["c", "d"]


def test_same_baskets_in_another_order_learn_the_same() -> None:
    orders = baskets("a b", "a b c", "b c", "a b", "c a", "a b c", "d", "b c")
    assert learn(orders, as_of=AS_OF) == learn(list(reversed(orders)), as_of=AS_OF)


PAIRS = [
    Pair("shoes", 1, "tights", Decimal("1.5625"), 30),
    Pair("shoes", 2, "socks", Decimal("1.1364"), 60),
    Pair("socks", 1, "shoes", Decimal("1.1364"), 60),
    Pair("tights", 1, "shoes", Decimal("1.5625"), 30),
    Pair("tights", 2, "socks", Decimal("1.2000"), 4),
]
POPULAR = [Popular(1, "bottle", 60), Popular(2, "tights", 32), Popular(3, "shoes", 30)]


def test_a_cart_gets_the_best_lift_across_its_items_then_popular() -> None:
    assert for_cart(PAIRS, POPULAR, cart_skus=["shoes"], limit=5) == [
        "tights",
        "socks",
        "bottle",
    ]
    # socks: 1.1364 with shoes, 1.2 with tights: the best counts
    assert for_cart(PAIRS, POPULAR, cart_skus=["tights", "hat"], limit=5) == [
        "shoes",
        "socks",
        "bottle",
    ]


def test_a_cart_never_gets_its_own_items_and_at_most_the_limit() -> None:
    assert for_cart(PAIRS, POPULAR, cart_skus=["shoes", "tights"], limit=5) == ["socks", "bottle"]
    assert for_cart(PAIRS, POPULAR, cart_skus=["shoes"], limit=1) == ["tights"]
    assert for_cart(PAIRS, POPULAR, cart_skus=["bottle"], limit=5) == ["tights", "shoes"]
    assert for_cart(PAIRS, POPULAR, cart_skus=["shoes"], limit=0) == []


def test_pick_drops_unavailable_keeping_the_order() -> None:
    candidates = [Recommendation(sku, sku.title()) for sku in ("tights", "socks", "bottle", "cap")]
    assert [r.sku for r in pick(candidates, {"socks"}, 2)] == ["tights", "bottle"]
    assert [r.sku for r in pick(candidates, {"tights", "socks", "bottle"}, 2)] == ["cap"]
    assert pick(candidates, set(), 0) == []
