"""CatalogLookup: the shop's source by its profile, a short cache, a tight timeout, and a
failure that answers None (logged) instead of raising."""

from __future__ import annotations

import asyncio
import logging
import time
from decimal import Decimal

import httpx
import pytest

from catalog.lookup import CatalogLookup, in_cart_currency
from rendering.live import ProductNow
from tests.support.catalogs import CatalogServer, answering, catalog_shop, woo_product

ENDPOINT = {"catalog_source": "endpoint", "catalog_url": "https://shop.example/catalog"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def endpoint_answering_every_sku() -> CatalogServer:
    """An endpoint that has every sku asked for, in stock at 100.00."""

    def answer(request: httpx.Request) -> httpx.Response:
        skus = request.url.params["skus"].split(",")
        products = [{"sku": sku, "price": "100.00", "in_stock": True} for sku in skus]
        return httpx.Response(200, json={"products": products})

    return CatalogServer(answer)


def asked(server: CatalogServer) -> list[str]:
    return [request.url.params["skus"] for request in server.requests]


async def test_a_shop_without_a_catalog_gets_none_and_nothing_is_asked() -> None:
    server = endpoint_answering_every_sku()

    assert await CatalogLookup(server.client()).current(catalog_shop(), ["SKU-1"]) is None
    assert server.requests == []


async def test_within_a_minute_the_cache_answers_and_after_it_the_catalog_again() -> None:
    server = endpoint_answering_every_sku()
    clock = Clock()
    lookup = CatalogLookup(server.client(), clock=clock)
    shop = catalog_shop(**ENDPOINT)

    first = await lookup.current(shop, ["SKU-1", "SKU-2"])
    clock.now += 59
    second = await lookup.current(shop, ["SKU-2", "SKU-1"])
    clock.now += 2
    await lookup.current(shop, ["SKU-1"])

    assert (
        first
        == second
        == {
            "SKU-1": ProductNow(sku="SKU-1", available=True, price=Decimal("100.00")),
            "SKU-2": ProductNow(sku="SKU-2", available=True, price=Decimal("100.00")),
        }
    )
    assert asked(server) == ["SKU-1,SKU-2", "SKU-1"]


async def test_only_the_skus_the_cache_lacks_are_asked_for() -> None:
    server = endpoint_answering_every_sku()
    lookup = CatalogLookup(server.client())
    shop = catalog_shop(**ENDPOINT)

    await lookup.current(shop, ["SKU-1"])
    found = await lookup.current(shop, ["SKU-1", "SKU-2", "SKU-2"])

    assert asked(server) == ["SKU-1", "SKU-2"]
    assert found is not None and set(found) == {"SKU-1", "SKU-2"}


async def test_a_sku_the_catalog_does_not_know_is_remembered_too() -> None:
    server = answering(json={"products": []})
    lookup = CatalogLookup(server.client())
    shop = catalog_shop(**ENDPOINT)

    assert await lookup.current(shop, ["GONE"]) == {}
    assert await lookup.current(shop, ["GONE"]) == {}
    assert len(server.requests) == 1


async def test_the_cache_is_per_shop_and_bounded() -> None:
    server = endpoint_answering_every_sku()
    lookup = CatalogLookup(server.client(), cache_size=2)
    one, other = catalog_shop(**ENDPOINT), catalog_shop(shop="other_shop", **ENDPOINT)

    await lookup.current(one, ["SKU-1"])
    await lookup.current(other, ["SKU-1"])  # another shop's SKU-1
    await lookup.current(one, ["SKU-2"])  # a third entry: the oldest, one's SKU-1, goes
    await lookup.current(one, ["SKU-1"])

    assert asked(server) == ["SKU-1", "SKU-1", "SKU-2", "SKU-1"]


async def test_the_source_follows_the_shops_profile() -> None:
    server = answering(json=[woo_product(11, "SKU-1", stock_status="outofstock")])
    shop = catalog_shop(
        catalog_source="woocommerce",
        woocommerce_url="https://woo.example",
        woocommerce_consumer_key="ck_x",
        woocommerce_consumer_secret="cs_x",
    )

    found = await CatalogLookup(server.client()).current(shop, ["SKU-1"])

    assert found is not None and found["SKU-1"].available is False
    assert server.requests[0].url.host == "woo.example"


async def test_a_failing_catalog_answers_none_says_so_and_is_left_alone_for_a_while(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = answering(503, text="down for maintenance")
    clock = Clock()
    lookup = CatalogLookup(server.client(), clock=clock)
    shop = catalog_shop(**ENDPOINT)

    with caplog.at_level(logging.WARNING, logger="cartnudge.catalog"):
        assert await lookup.current(shop, ["SKU-1"]) is None
        clock.now += 10
        assert await lookup.current(shop, ["SKU-1"]) is None  # not asked: resting
        clock.now += 21
        assert await lookup.current(shop, ["SKU-1"]) is None  # asked again

    assert len(server.requests) == 2
    first, resting, again = (record.getMessage() for record in caplog.records)
    assert first.startswith("catalog of shop demo_shop (endpoint) failed: catalog endpoint at")
    assert "HTTP 503" in first and "the cart snapshot's data" in first
    assert resting.startswith("catalog of shop demo_shop (endpoint) failed 10s ago")
    assert "HTTP 503" in again


async def test_a_retry_after_keeps_the_catalog_alone_that_long() -> None:
    server = answering(429, text="slow down", headers={"Retry-After": "120"})
    clock = Clock()
    lookup = CatalogLookup(server.client(), clock=clock)
    shop = catalog_shop(**ENDPOINT)

    await lookup.current(shop, ["SKU-1"])
    clock.now += 100
    await lookup.current(shop, ["SKU-1"])
    clock.now += 21
    await lookup.current(shop, ["SKU-1"])

    assert len(server.requests) == 2


async def test_a_slow_catalog_is_given_up_on_within_the_timeout(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={"products": []})

    lookup = CatalogLookup(CatalogServer(slow).client(), timeout=0.2)
    started = time.monotonic()

    with caplog.at_level(logging.WARNING, logger="cartnudge.catalog"):
        assert await lookup.current(catalog_shop(**ENDPOINT), ["SKU-1"]) is None

    assert time.monotonic() - started < 1.0
    assert "no answer within 0.2s" in caplog.text


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"catalog_source": "shopify", "shopify_domain": "my-shop.myshopify.com"}, "needs"),
        ({"catalog_source": "woocommerce", "woocommerce_url": "https://woo.example"}, "needs"),
        ({"catalog_source": "endpoint"}, "needs catalog_url"),
        ({"catalog_source": "magento"}, "is none of shopify, woocommerce, endpoint"),
    ],
)
async def test_a_source_without_its_settings_answers_none_and_says_what_is_missing(
    fields: dict[str, str], problem: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = answering(json={"products": []})

    with caplog.at_level(logging.WARNING, logger="cartnudge.catalog"):
        assert await CatalogLookup(server.client()).current(catalog_shop(**fields), ["A"]) is None

    assert server.requests == []
    assert problem in caplog.text


def test_prices_in_the_shops_currency_are_not_shown_in_a_cart_of_another() -> None:
    products = {
        "SKU-1": ProductNow(
            sku="SKU-1",
            available=True,
            price=Decimal("10"),
            compare_at_price=Decimal("12"),
            inventory=2,
        )
    }
    shop = catalog_shop(currency="TRY")

    assert in_cart_currency(products, cart_currency="TRY", shop=shop) == products
    assert in_cart_currency(products, cart_currency="EUR", shop=shop) == {
        "SKU-1": ProductNow(sku="SKU-1", available=True, inventory=2)
    }
