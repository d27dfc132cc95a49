"""Each catalog source against its platform as the documentation shows it, faked at the
HTTP transport: what is asked (GraphQL query and variables, REST query and basic auth,
the generic endpoint's query and bearer token), how the answer is read, and its errors."""

from __future__ import annotations

import base64
from decimal import Decimal
from typing import Any

import httpx
import pytest

from catalog.endpoint import EndpointCatalog
from catalog.errors import CatalogBroken, CatalogUnavailable
from catalog.shopify import API_VERSION, ShopifyCatalog
from catalog.woocommerce import WooCommerceCatalog
from rendering.live import ProductNow
from tests.support.catalogs import (
    CatalogServer,
    answering,
    shopify_answer,
    shopify_variant,
    woo_product,
)

TIMEOUT = 3.0


def shopify(server: CatalogServer) -> ShopifyCatalog:
    return ShopifyCatalog(
        server.client(), domain="my-shop.myshopify.com", access_token="shpat_test", timeout=TIMEOUT
    )


def woocommerce(server: CatalogServer) -> WooCommerceCatalog:
    return WooCommerceCatalog(
        server.client(),
        url="https://woo.example/",
        consumer_key="ck_test",
        consumer_secret="cs_test",
        timeout=TIMEOUT,
    )


def endpoint(
    server: CatalogServer, url: str = "https://shop.example/cartnudge/catalog"
) -> EndpointCatalog:
    return EndpointCatalog(server.client(), url=url, token="catalog-token", timeout=TIMEOUT)


# --- Shopify ---------------------------------------------------------------------------


async def test_shopify_is_asked_for_variants_by_sku_and_by_variant_id_in_one_query() -> None:
    server = answering(
        json=shopify_answer(
            by_id=[
                shopify_variant(43729076, None, image=None, inventoryItem={"tracked": False}),
                None,  # a variant deleted since
            ],
            by_sku=[
                shopify_variant(1, "SKU-1", price="1199.90", compareAtPrice="1299.90"),
                shopify_variant(2, "SKU-10", inventoryQuantity=1),  # the search is loose
            ],
        )
    )

    found = await shopify(server).products(["SKU-1", "43729076", "999"])

    [request] = server.requests
    assert request.method == "POST"
    assert str(request.url) == (
        f"https://my-shop.myshopify.com/admin/api/{API_VERSION}/graphql.json"
    )
    assert request.headers["X-Shopify-Access-Token"] == "shpat_test"
    sent = server.graphql()
    assert "nodes(ids: $ids)" in sent["query"]
    assert "productVariants(first: $first, query: $skuQuery)" in sent["query"]
    assert "fragment variantNow on ProductVariant {" in sent["query"]
    assert "availableForSale" in sent["query"] and "compareAtPrice" in sent["query"]
    assert sent["variables"] == {
        "ids": ["gid://shopify/ProductVariant/43729076", "gid://shopify/ProductVariant/999"],
        "skuQuery": 'sku:"SKU-1" OR sku:"43729076" OR sku:"999"',
        "first": 250,
    }
    assert found == {
        "SKU-1": ProductNow(
            sku="SKU-1",
            available=True,
            price=Decimal("1199.90"),
            compare_at_price=Decimal("1299.90"),
            inventory=12,
            image_url="https://cdn.shopify.com/s/files/1/0001/v1.jpg",
            url="https://my-shop.example/products/p1",
        ),
        # no SKU: found by its id; no image of its own, and a stock Shopify does not track
        "43729076": ProductNow(
            sku="43729076",
            available=True,
            price=Decimal("1299.90"),
            inventory=None,
            image_url="https://cdn.shopify.com/s/files/1/0001/product.jpg",
            url="https://my-shop.example/products/p43729076",
        ),
    }


async def test_a_sku_with_quotes_is_searched_as_one_phrase() -> None:
    server = answering(json=shopify_answer())

    assert await shopify(server).products(['12" pan']) == {}

    assert server.graphql()["variables"]["skuQuery"] == 'sku:"12\\" pan"'
    assert server.graphql()["variables"]["ids"] == []


async def test_a_variant_shopify_no_longer_sells_is_not_available() -> None:
    server = answering(
        json=shopify_answer(
            by_sku=[shopify_variant(1, "SKU-1", availableForSale=False, inventoryQuantity=0)]
        )
    )

    found = await shopify(server).products(["SKU-1"])

    assert found["SKU-1"].available is False


async def test_shopify_throttled_is_unavailable_with_the_wait_its_bucket_needs() -> None:
    server = answering(
        json={
            "errors": [
                {
                    "message": "Throttled",
                    "extensions": {
                        "code": "THROTTLED",
                        "documentation": "https://shopify.dev/api/usage/rate-limits",
                    },
                }
            ],
            "extensions": {
                "cost": {
                    "requestedQueryCost": 212,
                    "actualQueryCost": None,
                    "throttleStatus": {
                        "maximumAvailable": 2000.0,
                        "currentlyAvailable": 12,
                        "restoreRate": 100.0,
                    },
                }
            },
        }
    )

    with pytest.raises(CatalogUnavailable, match="throttled") as raised:
        await shopify(server).products(["SKU-1"])

    assert raised.value.retry_after == 2.0


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (
            401,
            {
                "errors": "[API] Invalid API key or access token (unrecognized login or"
                " wrong password)"
            },
            {},
            CatalogBroken,
        ),
        (
            403,
            {"errors": "[API] This action requires merchant approval for read_products scope."},
            {},
            CatalogBroken,
        ),
        (
            429,
            {"errors": "Exceeded 2 calls per second for api client."},
            {"Retry-After": "2.0"},
            CatalogUnavailable,
        ),
        (503, {"errors": "Service unavailable"}, {}, CatalogUnavailable),
        (302, {}, {"Location": "https://accounts.shopify.com/"}, CatalogBroken),
    ],
)
async def test_shopify_http_errors(
    status: int, body: Any, headers: dict[str, str], error: type[Exception]
) -> None:
    server = answering(status, json=body, headers=headers)

    with pytest.raises(error, match=f"HTTP {status}"):
        await shopify(server).products(["SKU-1"])


async def test_shopify_429_says_when_to_ask_again() -> None:
    server = answering(429, json={"errors": "Exceeded"}, headers={"Retry-After": "4"})

    with pytest.raises(CatalogUnavailable) as raised:
        await shopify(server).products(["SKU-1"])

    assert raised.value.retry_after == 4.0


@pytest.mark.parametrize(
    "body",
    [
        {
            "errors": [
                {
                    "message": "Access denied for inventoryItem field.",
                    "extensions": {"code": "ACCESS_DENIED"},
                }
            ],
            "data": None,
        },
        {"data": {"byId": [], "bySku": {"nodes": [shopify_variant(1, "SKU-1", price="cheap")]}}},
        {
            "data": {
                "byId": [shopify_variant(1, "SKU-1", availableForSale="yes")],
                "bySku": {"nodes": []},
            }
        },
        {"data": None},
        ["not", "an", "answer"],
    ],
)
async def test_a_shopify_answer_that_is_not_the_variants_is_broken(body: Any) -> None:
    with pytest.raises(CatalogBroken):
        await shopify(answering(json=body)).products(["SKU-1"])


async def test_a_shopify_domain_that_is_a_url_is_refused_before_any_request() -> None:
    server = answering(json=shopify_answer())
    catalog = ShopifyCatalog(
        server.client(), domain="https://evil.example/x?", access_token="t", timeout=TIMEOUT
    )

    with pytest.raises(CatalogBroken, match="not a shop domain"):
        await catalog.products(["SKU-1"])
    assert server.requests == []


# --- WooCommerce -----------------------------------------------------------------------


async def test_woocommerce_is_asked_by_sku_with_basic_auth() -> None:
    server = answering(
        json=[
            woo_product(
                11,
                "SKU-1",
                price="999.90",
                regular_price="1299.90",
                sale_price="999.90",
                on_sale=True,
                stock_quantity=2,
            ),
            woo_product(
                12,
                "SKU-2-RED",
                type="variation",
                manage_stock="parent",
                stock_quantity=40,
                images=[],
                image={"id": 9, "src": "https://woo.example/wp-content/uploads/red.jpg"},
            ),
            woo_product(13, "SKU-3", stock_status="outofstock", stock_quantity=0),
            woo_product(14, "SKU-4", manage_stock=False, stock_quantity=None, price=""),
        ]
    )

    found = await woocommerce(server).products(["SKU-1", "SKU-2-RED", "SKU-3", "SKU-4"])

    [request] = server.requests
    assert request.method == "GET"
    assert request.url.path == "/wp-json/wc/v3/products"
    assert dict(request.url.params) == {"sku": "SKU-1,SKU-2-RED,SKU-3,SKU-4", "per_page": "4"}
    assert (
        request.headers["Authorization"] == "Basic " + base64.b64encode(b"ck_test:cs_test").decode()
    )
    assert found["SKU-1"] == ProductNow(
        sku="SKU-1",
        available=True,
        price=Decimal("999.90"),
        compare_at_price=Decimal("1299.90"),
        inventory=2,
        image_url="https://woo.example/wp-content/uploads/p11.jpg",
        url="https://woo.example/product/p11/",
    )
    assert (found["SKU-2-RED"].inventory, found["SKU-2-RED"].image_url) == (
        40,
        "https://woo.example/wp-content/uploads/red.jpg",
    )
    assert (found["SKU-3"].available, found["SKU-3"].inventory) == (False, None)
    # no price set and stock not managed: neither is made up
    assert (found["SKU-4"].price, found["SKU-4"].inventory) == (None, None)


async def test_a_woocommerce_draft_is_not_available() -> None:
    server = answering(json=[woo_product(11, "SKU-1", status="draft")])

    assert (await woocommerce(server).products(["SKU-1"]))["SKU-1"].available is False


@pytest.mark.parametrize(
    ("status", "body", "headers", "error"),
    [
        (
            401,
            {
                "code": "woocommerce_rest_cannot_view",
                "message": "Sorry, you cannot list resources.",
                "data": {"status": 401},
            },
            {},
            CatalogBroken,
        ),
        (429, {"code": "too_many_requests"}, {"Retry-After": "7"}, CatalogUnavailable),
        (500, {"code": "internal_server_error"}, {}, CatalogUnavailable),
    ],
)
async def test_woocommerce_http_errors(
    status: int, body: Any, headers: dict[str, str], error: type[Exception]
) -> None:
    with pytest.raises(error, match="woocommerce_rest_cannot_view|too_many|internal") as raised:
        await woocommerce(answering(status, json=body, headers=headers)).products(["SKU-1"])

    if status == 429:
        assert isinstance(raised.value, CatalogUnavailable) and raised.value.retry_after == 7.0


@pytest.mark.parametrize(
    "body",
    [
        {"products": []},
        [woo_product(11, "SKU-1", price="12,90")],
        [woo_product(11, "SKU-1", stock_quantity="many")],
        [{"id": 11, "sku": "SKU-1"}],
    ],
)
async def test_a_woocommerce_answer_that_is_not_products_is_broken(body: Any) -> None:
    with pytest.raises(CatalogBroken, match="not a list of products"):
        await woocommerce(answering(json=body)).products(["SKU-1"])


# --- the generic endpoint --------------------------------------------------------------


async def test_the_endpoint_is_asked_for_the_skus_with_the_shops_token() -> None:
    server = answering(
        json={
            "products": [
                {
                    "sku": "SKU-1",
                    "price": "1199.90",
                    "compare_at_price": "1299.90",
                    "in_stock": True,
                    "inventory": 3,
                    "image_url": "https://shop.example/i/1.jpg",
                    "url": "https://shop.example/p/1",
                    "name": "ignored: not in the format",
                },
                {"sku": "SKU-2", "in_stock": False},
                {"sku": "NOT-ASKED", "in_stock": True},
            ]
        }
    )

    found = await endpoint(server, "https://shop.example/cartnudge/catalog?store=ist").products(
        ["SKU-1", "SKU-2"]
    )

    [request] = server.requests
    assert request.method == "GET"
    assert dict(request.url.params) == {"store": "ist", "skus": "SKU-1,SKU-2"}
    assert request.headers["Authorization"] == "Bearer catalog-token"
    assert found == {
        "SKU-1": ProductNow(
            sku="SKU-1",
            available=True,
            price=Decimal("1199.90"),
            compare_at_price=Decimal("1299.90"),
            inventory=3,
            image_url="https://shop.example/i/1.jpg",
            url="https://shop.example/p/1",
        ),
        "SKU-2": ProductNow(sku="SKU-2", available=False),
    }


async def test_an_endpoint_without_a_token_gets_no_authorization_header() -> None:
    server = answering(json={"products": []})
    catalog = EndpointCatalog(
        server.client(), url="https://shop.example/c", token=None, timeout=TIMEOUT
    )

    assert await catalog.products(["SKU-1"]) == {}
    assert "Authorization" not in server.requests[0].headers


@pytest.mark.parametrize(
    "body",
    [
        {"products": [{"sku": "SKU-1", "in_stock": "yes"}]},
        {"products": [{"sku": "SKU-1", "in_stock": True, "price": "cheap"}]},
        {"products": [{"sku": "SKU-1"}]},
        {"products": [{"sku": "SKU-1", "in_stock": True, "image_url": "javascript:alert(1)"}]},
        {"items": []},
        [],
    ],
)
async def test_an_endpoint_body_not_in_the_documented_format_is_refused(body: Any) -> None:
    with pytest.raises(CatalogBroken, match="not a catalog answer"):
        await endpoint(answering(json=body)).products(["SKU-1"])


async def test_an_endpoint_answer_that_is_not_json_or_names_a_sku_twice_is_refused() -> None:
    with pytest.raises(CatalogBroken, match="not JSON"):
        await endpoint(answering(text="<html>Maintenance</html>")).products(["SKU-1"])
    twice = {"products": [{"sku": "SKU-1", "in_stock": True}, {"sku": "SKU-1", "in_stock": False}]}
    with pytest.raises(CatalogBroken, match="answered twice"):
        await endpoint(answering(json=twice)).products(["SKU-1"])


@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (httpx.ConnectError, CatalogUnavailable),
        (httpx.ReadTimeout, CatalogUnavailable),
    ],
)
async def test_an_endpoint_that_does_not_answer_is_unavailable(
    failure: type[httpx.RequestError], error: type[Exception]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise failure("no answer", request=request)

    with pytest.raises(error):
        await endpoint(CatalogServer(handler)).products(["SKU-1"])


async def test_an_endpoint_401_is_broken_and_names_the_url_without_its_query() -> None:
    server = answering(401, text="unauthorized")

    with pytest.raises(CatalogBroken) as raised:
        await endpoint(server, "https://shop.example/c?key=secret").products(["SKU-1"])

    assert "https://shop.example/c" in str(raised.value)
    assert "secret" not in str(raised.value)
