"""Which release a cart gets: deterministic from shop and cart id, spread as weighted."""

from __future__ import annotations

from collections import Counter

import pytest

from journey_schema.errors import JourneyNotFound
from releases.assignment import BUCKETS, pick
from releases.live import LiveTable, choose_share
from releases.split import Share, describe, whole, with_share


def table(**splits: tuple[Share, ...]) -> LiveTable:
    return LiveTable({(journey, None): split for journey, split in splits.items()}, {})


def test_ten_thousand_carts_land_within_two_percent_of_the_weights() -> None:
    split = with_share(whole("v1-id", 1), "v2-id", 2, 1000)  # v2 10%, v1 90%
    live = table(abandoned_cart=split)

    counts = Counter(
        choose_share(live, f"shop-{n % 7}", f"cart-{n}", "abandoned_cart") for n in range(10_000)
    )

    assert abs(counts["v2-id"] / 10_000 - 0.10) <= 0.02
    assert abs(counts["v1-id"] / 10_000 - 0.90) <= 0.02


def test_the_same_cart_always_gets_the_same_release() -> None:
    live = table(abandoned_cart=with_share(whole("a", 1), "b", 2, 5000))

    first = [choose_share(live, "shop", f"cart-{n}", "abandoned_cart") for n in range(500)]
    again = [choose_share(live, "shop", f"cart-{n}", "abandoned_cart") for n in range(500)]

    assert first == again
    assert set(first) == {"a", "b"}


def test_widening_a_share_keeps_the_carts_that_had_the_new_release() -> None:
    narrow = table(j=with_share(whole("old", 1), "new", 2, 1000))
    wide = table(j=with_share(whole("old", 1), "new", 2, 5000))

    carts = [f"cart-{n}" for n in range(2000)]
    on_new = {c for c in carts if choose_share(narrow, "shop", c, "j") == "new"}

    assert all(choose_share(wide, "shop", c, "j") == "new" for c in on_new)


def test_splits_read_as_people_say_them() -> None:
    v3 = whole("v3", 3)
    split = with_share(with_share(v3, "v2", 2, 2000), "v4", 4, 1000)

    assert describe(v3) == "v3 100%"
    assert describe(split) == "v4 10%, v2 18%, v3 72%"  # the newest share first
    assert sum(share.weight for share in split) == BUCKETS


def test_weights_must_cover_every_cart() -> None:
    with pytest.raises(ValueError, match="sum to 10000"):
        pick(("shop", "cart"), [("a", 5000), ("b", 4000)])


def test_a_journey_without_activation_says_how_to_activate_it() -> None:
    with pytest.raises(JourneyNotFound) as raised:
        choose_share(table(), "shop", "cart", "abandoned_cart")

    assert str(raised.value) == (
        "journey 'abandoned_cart' (serving shop 'shop') has no activation: "
        "run `cartnudge journeys activate abandoned_cart VERSION`"
    )


def test_a_shops_own_journey_serves_it_from_its_first_activation() -> None:
    routes = {"vip": "vip_flow"}
    before = LiveTable({("abandoned_cart", None): whole("default", 1)}, routes)
    after = LiveTable({**before.splits, ("vip_flow", None): whole("vip", 1)}, routes)

    assert choose_share(before, "vip", "cart", "abandoned_cart") == "default"
    assert choose_share(after, "vip", "cart", "abandoned_cart") == "vip"
    assert choose_share(after, "other", "cart", "abandoned_cart") == "default"


def test_a_shops_own_activation_wins_over_the_deployments() -> None:
    live = LiveTable(
        {("j", None): whole("everyone", 1), ("j", "pilot"): whole("pilot-only", 2)}, {}
    )

    assert choose_share(live, "pilot", "cart", "j") == "pilot-only"
    assert choose_share(live, "other", "cart", "j") == "everyone"
