"""WooCommerce gets the REST coupon its documentation shows, with basic auth, and its
answers (201, the code already existing, 401, 429, 5xx) are read as coupon errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from coupons.errors import PermanentCouponError, TransientCouponError
from coupons.woocommerce import WooCommerceCoupons
from tests.coupons.test_shopify import new_code
from tests.support.coupon_platforms import WOO_URL, FakeWooCommerce, basic_auth


def woocommerce(fake: FakeWooCommerce) -> WooCommerceCoupons:
    return WooCommerceCoupons(
        client=fake.client(),
        store_url=WOO_URL + "/",
        consumer_key="ck_test",
        consumer_secret="cs_test",
        shop="demo_shop",
    )


async def test_posts_a_single_use_coupon_for_the_customers_email() -> None:
    fake = FakeWooCommerce()

    coupon_id = await woocommerce(fake).create(new_code())

    assert coupon_id == "700"
    [request] = fake.requests
    assert (request.method, str(request.url)) == ("POST", f"{WOO_URL}/wp-json/wc/v3/coupons")
    assert basic_auth(request) == ("ck_test", "cs_test")
    assert json.loads(request.content) == {
        "code": "CN-ABCDEFGH",
        "description": "cartnudge r3 0123456789ab",
        "discount_type": "percent",
        "amount": "10",
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "email_restrictions": ["ayse@example.com"],
        "date_expires_gmt": "2026-11-24T10:00:00",
    }


async def test_an_amount_off_is_a_fixed_cart_coupon() -> None:
    fake = FakeWooCommerce()

    await woocommerce(fake).create(new_code(percent=None, amount=Decimal("50.00")))

    body = json.loads(fake.requests[0].content)
    assert (body["discount_type"], body["amount"]) == ("fixed_cart", "50.00")


async def test_a_code_that_exists_from_an_earlier_attempt_is_confirmed_and_accepted() -> None:
    fake = FakeWooCommerce(fail_after_create=1)
    with pytest.raises(TransientCouponError):
        await woocommerce(fake).create(new_code())  # made, but the answer was lost

    coupon_id = await woocommerce(fake).create(new_code())

    assert coupon_id == "700"
    assert len(fake.coupons) == 1
    lookup = fake.requests[-1]
    assert (lookup.method, lookup.url.params["code"]) == ("GET", "CN-ABCDEFGH")
    assert basic_auth(lookup) == ("ck_test", "cs_test")


async def test_a_code_that_exists_and_is_not_ours_is_refused() -> None:
    fake = FakeWooCommerce()
    await woocommerce(fake).create(new_code(title="summer sale"))

    with pytest.raises(PermanentCouponError, match="not made for this message"):
        await woocommerce(fake).create(new_code())


async def test_refused_credentials_are_permanent() -> None:
    fake = FakeWooCommerce(
        answer=httpx.Response(
            401,
            json={
                "code": "woocommerce_rest_cannot_create",
                "message": "Sorry, you are not allowed to create resources.",
                "data": {"status": 401},
            },
        )
    )

    with pytest.raises(PermanentCouponError) as refused:
        await woocommerce(fake).create(new_code())

    assert "HTTP 401: woocommerce_rest_cannot_create: Sorry, you are not allowed" in str(
        refused.value
    )
    assert "--woocommerce-consumer-key" in str(refused.value)


async def test_429_waits_as_told_and_5xx_is_retried() -> None:
    busy = FakeWooCommerce(answer=httpx.Response(429, headers={"Retry-After": "30"}))
    with pytest.raises(TransientCouponError) as waited:
        await woocommerce(busy).create(new_code())
    assert waited.value.retry_after == 30.0

    down = FakeWooCommerce(answer=httpx.Response(502, text="Bad gateway"))
    with pytest.raises(TransientCouponError):
        await woocommerce(down).create(new_code())


def test_expiry_is_written_in_gmt() -> None:
    from coupons.woocommerce import coupon_body

    body = coupon_body(new_code(ends_at=datetime(2026, 11, 24, 13, 0, tzinfo=UTC)))
    assert body["date_expires_gmt"] == "2026-11-24T13:00:00"
