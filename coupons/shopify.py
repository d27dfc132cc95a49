"""Codes made in the shop's Shopify admin: Admin GraphQL `discountCodeBasicCreate`.

(The REST price rules are legacy.) One amount-off code discount per send: the whole cart
(`items: {all: true}`), `usageLimit: 1`, `appliesOncePerCustomer`, from now until it
expires. It is restricted to the customer when the cart's customer is a Shopify customer
(a numeric id or a `gid://shopify/Customer/...`); a guest's cart gets a code any customer
could use, once (`usageLimit: 1`): the code is as private as the message it is in.

Shopify answers GraphQL errors with HTTP 200:

    userErrors  the input was refused (permanent), except `TAKEN` on the code: an earlier
                attempt made it and lost the answer; `codeDiscountNodeByCode` confirms, and
                the code is accepted when its title is this send's (coupons/codes.py)
    errors      top-level: THROTTLED is transient (retried after the cost is restored);
                anything else (ACCESS_DENIED, a bad query) permanent
    401, 403    the Admin API token is wrong or lacks `write_discounts`: permanent
    429, 5xx    transient, after Retry-After when given
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

from channels import shopify_admin
from channels.http_errors import json_object
from coupons.errors import PermanentCouponError, TransientCouponError
from coupons.http import coupon_error, request
from coupons.platform import NewCode

PLATFORM = "Shopify"
API_VERSION = "2025-01"

CREATE = """\
mutation CartnudgeCoupon($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode { id }
    userErrors { field code message }
  }
}
"""

BY_CODE = """\
query CartnudgeCouponByCode($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount { ... on DiscountCodeBasic { title } }
  }
}
"""

_CUSTOMER_ID = re.compile(r"^(?:gid://shopify/Customer/)?(\d+)$")


class ShopifyCoupons:
    name = PLATFORM

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        domain: str,
        admin_token: str,
        shop: str,
        api_version: str = API_VERSION,
    ) -> None:
        self._client = client
        self._url = shopify_admin.graphql_url(domain, api_version)
        self._token = admin_token
        self._hint = f" (cartnudge shops update {shop} --shopify-admin-token -)"

    async def create(self, new: NewCode) -> str:
        """The code's DiscountCodeNode id. Raises CouponError."""
        data = await self._graphql(CREATE, {"basicCodeDiscount": basic_code_discount(new)})
        payload = data.get("discountCodeBasicCreate") or {}
        errors = payload.get("userErrors") or []
        if any(_taken(error) for error in errors):
            return await self._confirm(new)
        if errors:
            said = "; ".join(str(error.get("message", error)) for error in errors)
            raise PermanentCouponError(f"{PLATFORM} refused the code: {said}"[:300])
        node = payload.get("codeDiscountNode") or {}
        if not node.get("id"):
            raise PermanentCouponError(f"{PLATFORM} answered without the code it made")
        return str(node["id"])

    async def _confirm(self, new: NewCode) -> str:
        """A code that exists already: ours (an earlier attempt's) or refused."""
        data = await self._graphql(BY_CODE, {"code": new.code})
        node = data.get("codeDiscountNodeByCode") or {}
        title = (node.get("codeDiscount") or {}).get("title")
        if node.get("id") and title == new.title:
            return str(node["id"])
        raise PermanentCouponError(
            f"{PLATFORM} refused the code: {new.code} exists already and was not made for "
            "this message"
        )

    async def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        response = await request(
            self._client,
            PLATFORM,
            "POST",
            self._url,
            json={"query": query, "variables": variables},
            headers=shopify_admin.auth_headers(self._token),
        )
        body = json_object(response)
        if not response.is_success:
            detail = shopify_admin.error_messages(body) if body else None
            raise coupon_error(PLATFORM, response, detail=detail, credentials_hint=self._hint)
        if body.get("errors"):
            if shopify_admin.throttled(body):
                raise TransientCouponError(
                    f"{PLATFORM}: throttled", retry_after=shopify_admin.throttle_wait(body)
                )
            raise PermanentCouponError(f"{PLATFORM}: {shopify_admin.error_messages(body)}"[:300])
        data = body.get("data")
        if not isinstance(data, dict):
            raise TransientCouponError(f"{PLATFORM}: an answer without data")
        return data


def basic_code_discount(new: NewCode) -> dict[str, Any]:
    """The DiscountCodeBasicInput for the code."""
    if new.percent is not None:
        value: dict[str, Any] = {"percentage": float(new.percent / 100)}
    else:
        assert new.amount is not None
        value = {"discountAmount": {"amount": str(new.amount), "appliesOnEachItem": False}}
    return {
        "title": new.title,
        "code": new.code,
        "startsAt": _iso(new.starts_at),
        "endsAt": _iso(new.ends_at),
        "customerSelection": customer_selection(new.customer_id),
        "customerGets": {"value": value, "items": {"all": True}},
        "appliesOncePerCustomer": True,
        "usageLimit": 1,
    }


def customer_selection(customer_id: str) -> dict[str, Any]:
    """Only this customer when the cart's is a Shopify customer; else every customer."""
    match = _CUSTOMER_ID.match(customer_id)
    if match is None:
        return {"all": True}
    return {"customers": {"add": [f"gid://shopify/Customer/{match.group(1)}"]}}


def _taken(error: Any) -> bool:
    return isinstance(error, dict) and error.get("code") == "TAKEN"


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
