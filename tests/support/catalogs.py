"""A shop's catalog for tests, faked at the HTTP transport (tests/support/endpoints.py),
with the GraphQL variables of what it was asked."""

from __future__ import annotations

import json
from typing import Any

import httpx

from storage.shops import ShopProfile
from tests.support.endpoints import RecordingEndpoint


class CatalogServer(RecordingEndpoint):
    def graphql(self, index: int = -1) -> dict[str, Any]:
        """The GraphQL document and variables of a request (the last by default)."""
        body: dict[str, Any] = json.loads(self.requests[index].content)
        return body


def answering(status: int = 200, **response: Any) -> CatalogServer:
    return CatalogServer(lambda request: httpx.Response(status, **response))


def catalog_shop(**fields: Any) -> ShopProfile:
    """A shop as the activities read it, with only catalog settings given."""
    values: dict[str, Any] = {
        "shop": "demo_shop",
        "name": "Demo",
        "timezone": "Europe/Istanbul",
        "locale": "tr-TR",
        "currency": "TRY",
        "email_from": None,
        "shopify_domain": None,
        "shopify_secret": None,
        "woocommerce_secret": None,
        "order_lookup_url": None,
        "order_lookup_token": None,
    }
    return ShopProfile(**{**values, **fields})


def shopify_variant(variant_id: int, sku: str | None, **fields: Any) -> dict[str, Any]:
    """A ProductVariant node as the Admin GraphQL API answers the catalog's fragment."""
    node: dict[str, Any] = {
        "id": f"gid://shopify/ProductVariant/{variant_id}",
        "sku": sku,
        "price": "1299.90",
        "compareAtPrice": None,
        "inventoryQuantity": 12,
        "availableForSale": True,
        "inventoryItem": {"tracked": True},
        "image": {"url": f"https://cdn.shopify.com/s/files/1/0001/v{variant_id}.jpg"},
        "product": {
            "onlineStoreUrl": f"https://my-shop.example/products/p{variant_id}",
            "featuredImage": {"url": "https://cdn.shopify.com/s/files/1/0001/product.jpg"},
        },
    }
    return {**node, **fields}


def shopify_answer(
    by_id: list[Any] | None = None, by_sku: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "data": {"byId": by_id or [], "bySku": {"nodes": by_sku or []}},
        "extensions": {
            "cost": {
                "requestedQueryCost": 12,
                "actualQueryCost": 6,
                "throttleStatus": {
                    "maximumAvailable": 2000.0,
                    "currentlyAvailable": 1994,
                    "restoreRate": 100.0,
                },
            }
        },
    }


def woo_product(product_id: int, sku: str, **fields: Any) -> dict[str, Any]:
    """A product as WooCommerce's REST API (v3) lists it, the fields the catalog reads and
    a few it does not."""
    product: dict[str, Any] = {
        "id": product_id,
        "name": "Koşu Ayakkabısı",
        "slug": "kosu-ayakkabisi",
        "permalink": f"https://woo.example/product/p{product_id}/",
        "type": "simple",
        "status": "publish",
        "sku": sku,
        "price": "1299.90",
        "regular_price": "1299.90",
        "sale_price": "",
        "on_sale": False,
        "purchasable": True,
        "manage_stock": True,
        "stock_quantity": 12,
        "stock_status": "instock",
        "images": [{"id": 7, "src": f"https://woo.example/wp-content/uploads/p{product_id}.jpg"}],
    }
    return {**product, **fields}
