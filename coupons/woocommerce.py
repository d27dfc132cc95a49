"""Codes made in the shop's WooCommerce: REST `POST {store}/wp-json/wc/v3/coupons`.

Basic auth with the store's REST consumer key and secret. One coupon per send: the whole
cart (`percent` or `fixed_cart`), `usage_limit: 1`, `usage_limit_per_user: 1`,
`individual_use` (not stacked with other coupons), only for the customer's email
(`email_restrictions`), expiring at `date_expires_gmt`.

    400 woocommerce_rest_coupon_code_already_exists   an earlier attempt made it and lost
            the answer: `GET .../coupons?code=` confirms, and the code is accepted when its
            description is this send's title (coupons/codes.py)
    other 4xx (400 invalid, 401, 403)                  permanent
    429, 5xx                                           transient, after Retry-After if given
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import httpx

from channels.http_errors import json_object
from coupons.errors import PermanentCouponError
from coupons.http import coupon_error, request
from coupons.platform import NewCode

PLATFORM = "WooCommerce"
ALREADY_EXISTS = "woocommerce_rest_coupon_code_already_exists"


class WooCommerceCoupons:
    name = PLATFORM

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        store_url: str,
        consumer_key: str,
        consumer_secret: str,
        shop: str,
    ) -> None:
        self._client = client
        self._url = f"{store_url.rstrip('/')}/wp-json/wc/v3/coupons"
        self._auth = httpx.BasicAuth(consumer_key, consumer_secret)
        self._hint = (
            f" (cartnudge shops update {shop} --woocommerce-consumer-key - "
            "--woocommerce-consumer-secret -)"
        )

    async def create(self, new: NewCode) -> str:
        """The coupon's id in the store. Raises CouponError."""
        response = await request(
            self._client, PLATFORM, "POST", self._url, json=coupon_body(new), auth=self._auth
        )
        answer = json_object(response)
        if response.is_success and answer.get("id") is not None:
            return str(answer["id"])
        if answer.get("code") == ALREADY_EXISTS:
            return await self._confirm(new)
        if response.is_success:
            raise PermanentCouponError(f"{PLATFORM} answered without the coupon it made")
        raise coupon_error(
            PLATFORM, response, detail=_error_text(answer), credentials_hint=self._hint
        )

    async def _confirm(self, new: NewCode) -> str:
        response = await request(
            self._client, PLATFORM, "GET", self._url, params={"code": new.code}, auth=self._auth
        )
        if not response.is_success:
            detail = _error_text(json_object(response))
            raise coupon_error(PLATFORM, response, detail=detail, credentials_hint=self._hint)
        try:
            found = response.json()
        except ValueError:
            found = None
        for coupon in found if isinstance(found, list) else []:
            if isinstance(coupon, dict) and coupon.get("description") == new.title:
                return str(coupon.get("id"))
        raise PermanentCouponError(
            f"{PLATFORM} refused the code: {new.code} exists already and was not made for "
            "this message"
        )


def coupon_body(new: NewCode) -> dict[str, Any]:
    """The coupon's JSON, as the WooCommerce REST API takes it."""
    if new.percent is not None:
        kind, amount = "percent", new.percent
    else:
        assert new.amount is not None
        kind, amount = "fixed_cart", new.amount
    body: dict[str, Any] = {
        "code": new.code,
        "description": new.title,
        "discount_type": kind,
        "amount": f"{amount:f}",
        "individual_use": True,
        "usage_limit": 1,
        "usage_limit_per_user": 1,
        "date_expires_gmt": new.ends_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
    }
    if new.email:
        body["email_restrictions"] = [new.email]
    return body


def _error_text(answer: dict[str, Any]) -> str | None:
    if "message" not in answer:
        return None
    return f"{answer.get('code', 'error')}: {answer['message']}"
