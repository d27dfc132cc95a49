"""Shopify gets the Admin GraphQL mutation its documentation shows, and its answers (data,
userErrors, a taken code, THROTTLED, 401, 429, 5xx) are read as coupon errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from coupons.errors import PermanentCouponError, TransientCouponError
from coupons.platform import NewCode
from coupons.shopify import ShopifyCoupons
from tests.support.coupon_platforms import SHOPIFY_DOMAIN, FakeShopify, shopify_throttled

STARTS = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
ENDS = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def new_code(**overrides: Any) -> NewCode:
    values: dict[str, Any] = {
        "code": "CN-ABCDEFGH",
        "title": "cartnudge r3 0123456789ab",
        "starts_at": STARTS,
        "ends_at": ENDS,
        "currency": "USD",
        "customer_id": "7038190125304",
        "email": "ayse@example.com",
        "percent": Decimal(10),
    }
    return NewCode(**{**values, **overrides})


def shopify(fake: FakeShopify) -> ShopifyCoupons:
    return ShopifyCoupons(
        client=fake.client(), domain=SHOPIFY_DOMAIN, admin_token="shpat_test", shop="demo_shop"
    )


async def test_makes_a_single_use_percent_code_for_the_shopify_customer() -> None:
    fake = FakeShopify()

    node = await shopify(fake).create(new_code())

    assert node == "gid://shopify/DiscountCodeNode/1000"
    [request] = fake.requests
    assert (request.method, str(request.url)) == (
        "POST",
        f"https://{SHOPIFY_DOMAIN}/admin/api/2025-01/graphql.json",
    )
    assert request.headers["X-Shopify-Access-Token"] == "shpat_test"
    body = json.loads(request.content)
    assert "discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount)" in body["query"]
    assert "userErrors { field code message }" in body["query"]
    assert body["variables"] == {
        "basicCodeDiscount": {
            "title": "cartnudge r3 0123456789ab",
            "code": "CN-ABCDEFGH",
            "startsAt": "2026-11-22T10:00:00Z",
            "endsAt": "2026-11-24T10:00:00Z",
            "customerSelection": {"customers": {"add": ["gid://shopify/Customer/7038190125304"]}},
            "customerGets": {"value": {"percentage": 0.1}, "items": {"all": True}},
            "appliesOncePerCustomer": True,
            "usageLimit": 1,
        }
    }


async def test_an_amount_off_for_a_guest_is_open_to_all_customers_once() -> None:
    fake = FakeShopify()

    await shopify(fake).create(
        new_code(percent=None, amount=Decimal("50.00"), customer_id="checkout:abc")
    )

    [made] = fake.created()
    assert made["customerGets"]["value"] == {
        "discountAmount": {"amount": "50.00", "appliesOnEachItem": False}
    }
    assert made["customerSelection"] == {"all": True}
    assert made["usageLimit"] == 1


async def test_a_taken_code_made_by_an_earlier_attempt_is_accepted() -> None:
    fake = FakeShopify()
    first = await shopify(fake).create(new_code())

    again = await shopify(fake).create(new_code())  # the first answer was lost

    assert again == first
    assert len(fake.codes) == 1
    lookup = json.loads(fake.requests[-1].content)
    assert "codeDiscountNodeByCode(code: $code)" in lookup["query"]
    assert lookup["variables"] == {"code": "CN-ABCDEFGH"}


async def test_a_taken_code_that_is_not_ours_is_refused() -> None:
    fake = FakeShopify()
    await shopify(fake).create(new_code(title="the merchant's own"))

    with pytest.raises(PermanentCouponError, match="exists already and was not made for"):
        await shopify(fake).create(new_code())


async def test_user_errors_refuse_the_code_in_shopifys_words() -> None:
    errors = [
        {
            "field": ["basicCodeDiscount", "endsAt"],
            "code": "INVALID",
            "message": "Ends at needs to be after starts_at",
        }
    ]
    payload = {"codeDiscountNode": None, "userErrors": errors}
    fake = FakeShopify(
        answer=httpx.Response(200, json={"data": {"discountCodeBasicCreate": payload}})
    )

    with pytest.raises(PermanentCouponError) as refused:
        await shopify(fake).create(new_code())

    assert str(refused.value) == "Shopify refused the code: Ends at needs to be after starts_at"


async def test_throttled_is_retried_when_the_cost_is_restored() -> None:
    fake = FakeShopify(answer=shopify_throttled())

    with pytest.raises(TransientCouponError) as throttled:
        await shopify(fake).create(new_code())

    assert throttled.value.retry_after == 1.0  # 10 points at 100 a second, at least 1 s


async def test_a_refused_token_is_permanent_and_says_how_to_set_another() -> None:
    fake = FakeShopify(
        answer=httpx.Response(
            401,
            json={
                "errors": "[API] Invalid API key or access token (unrecognized login or "
                "wrong password)"
            },
        )
    )

    with pytest.raises(PermanentCouponError) as refused:
        await shopify(fake).create(new_code())

    assert "Shopify: HTTP 401: [API] Invalid API key or access token" in str(refused.value)
    assert "cartnudge shops update demo_shop --shopify-admin-token -" in str(refused.value)


async def test_429_is_retried_after_retry_after_and_5xx_is_retried() -> None:
    busy = FakeShopify(
        answer=httpx.Response(429, headers={"Retry-After": "2.0"}, json={"errors": "Throttled"})
    )
    with pytest.raises(TransientCouponError):
        await shopify(busy).create(new_code())

    slow = FakeShopify(answer=httpx.Response(429, headers={"Retry-After": "4"}, json={}))
    with pytest.raises(TransientCouponError) as waited:
        await shopify(slow).create(new_code())
    assert waited.value.retry_after == 4.0

    down = FakeShopify(answer=httpx.Response(503, text="upstream down"))
    with pytest.raises(TransientCouponError):
        await shopify(down).create(new_code())


async def test_access_denied_is_permanent() -> None:
    denied = {
        "errors": [
            {
                "message": "Access denied for discountCodeBasicCreate field.",
                "extensions": {"code": "ACCESS_DENIED"},
            }
        ]
    }
    fake = FakeShopify(answer=httpx.Response(200, json=denied))

    with pytest.raises(PermanentCouponError, match="Access denied"):
        await shopify(fake).create(new_code())
