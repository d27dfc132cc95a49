"""Shopify's Admin GraphQL and WooCommerce's REST coupons, faked at the HTTP transport.

Each fake keeps the codes it "made" and answers the way the platform's documentation
shows: Shopify with HTTP 200 and `data` / `userErrors` / top-level `errors`, WooCommerce
with 201 and the coupon, or 400 and its `code`. `fail_after_create` makes the next create
succeed inside the fake and then lose the answer (httpx.ReadTimeout), as a worker dying
mid-call would.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

import httpx

SHOPIFY_DOMAIN = "demo-shop.myshopify.com"
WOO_URL = "https://woo.example"


@dataclass
class FakeShopify:
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> node
    requests: list[httpx.Request] = field(default_factory=list)
    fail_after_create: int = 0  # this many creates lose their answer
    answer: httpx.Response | None = None  # answer every request with this instead

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer
        body = json.loads(request.content)
        if "discountCodeBasicCreate" in body["query"]:
            return self._create(body["variables"]["basicCodeDiscount"])
        if "codeDiscountNodeByCode" in body["query"]:
            node = self.codes.get(body["variables"]["code"])
            return httpx.Response(200, json={"data": {"codeDiscountNodeByCode": node}})
        return httpx.Response(200, json={"errors": [{"message": "unknown query"}]})

    def _create(self, discount: dict[str, Any]) -> httpx.Response:
        code = discount["code"]
        if code in self.codes:
            errors = [
                {
                    "field": ["basicCodeDiscount", "code"],
                    "code": "TAKEN",
                    "message": "Code must be unique. Please try a different code.",
                }
            ]
            payload = {"codeDiscountNode": None, "userErrors": errors}
            return httpx.Response(200, json={"data": {"discountCodeBasicCreate": payload}})
        node_id = f"gid://shopify/DiscountCodeNode/{1000 + len(self.codes)}"
        self.codes[code] = {
            "id": node_id,
            "codeDiscount": {"title": discount["title"]},
            "input": discount,
        }
        if self.fail_after_create > 0:
            self.fail_after_create -= 1
            raise httpx.ReadTimeout("the answer was lost")
        made = {"codeDiscountNode": {"id": node_id}, "userErrors": []}
        return httpx.Response(200, json={"data": {"discountCodeBasicCreate": made}})

    def created(self) -> list[dict[str, Any]]:
        """The DiscountCodeBasicInput of every code made."""
        return [node["input"] for node in self.codes.values()]


def shopify_throttled() -> httpx.Response:
    """Shopify's answer to a query over the bucket: HTTP 200, THROTTLED, and the cost."""
    return httpx.Response(
        200,
        json={
            "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}],
            "extensions": {
                "cost": {
                    "requestedQueryCost": 10,
                    "actualQueryCost": None,
                    "throttleStatus": {
                        "maximumAvailable": 2000.0,
                        "currentlyAvailable": 0,
                        "restoreRate": 100.0,
                    },
                }
            },
        },
    )


@dataclass
class FakeWooCommerce:
    coupons: dict[str, dict[str, Any]] = field(default_factory=dict)  # code -> coupon
    requests: list[httpx.Request] = field(default_factory=list)
    fail_after_create: int = 0
    answer: httpx.Response | None = None

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.answer is not None:
            return self.answer
        if request.method == "GET":
            code = request.url.params["code"].lower()
            return httpx.Response(200, json=[c for k, c in self.coupons.items() if k == code])
        body = json.loads(request.content)
        code = body["code"].lower()  # WooCommerce keeps codes in lower case
        if code in self.coupons:
            return httpx.Response(
                400,
                json={
                    "code": "woocommerce_rest_coupon_code_already_exists",
                    "message": f"The coupon code {code} already exists",
                    "data": {"status": 400},
                },
            )
        coupon = {"id": 700 + len(self.coupons), **body, "code": code, "usage_count": 0}
        self.coupons[code] = coupon
        if self.fail_after_create > 0:
            self.fail_after_create -= 1
            raise httpx.ReadTimeout("the answer was lost")
        return httpx.Response(201, json=coupon)


def basic_auth(request: httpx.Request) -> tuple[str, str]:
    scheme, _, encoded = request.headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    user, _, password = base64.b64decode(encoded).decode().partition(":")
    return user, password
