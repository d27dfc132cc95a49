"""A send's code is derived from its key: the same on every retry, different for every send."""

from __future__ import annotations

from coupons.codes import ALPHABET, coupon_title, derive_code


def test_a_retry_recomputes_the_same_code_and_another_send_gets_another() -> None:
    key = "cart-demo_shop-cart-1:run-1:steps[5]"

    code = derive_code("s" * 40, key)

    assert code == derive_code("s" * 40, key)
    assert code != derive_code("s" * 40, "cart-demo_shop-cart-2:run-1:steps[5]")
    assert code != derive_code("another secret" * 3, key)
    assert code != derive_code("s" * 40, key, attempt=1)
    assert code.startswith("CN-") and len(code) == 11
    assert set(code[3:]) <= set(ALPHABET)
    assert not set(code[3:]) & set("0O1IL")


def test_the_title_names_the_message_and_tells_sends_apart() -> None:
    title = coupon_title(key="k1", message_id="r3")

    assert title.startswith("cartnudge r3 ")
    assert title == coupon_title(key="k1", message_id="r3")
    assert title != coupon_title(key="k2", message_id="r3")
