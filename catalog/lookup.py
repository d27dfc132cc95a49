"""`CatalogLookup`: the cart's items as the shop's catalog has them now, or None.

Used right before a message renders (activities/messaging.py) and wherever else the
current stock matters. It chooses the shop's source by `ShopProfile.catalog_source`:

    "shopify"       catalog/shopify.py       shopify_domain, shopify_admin_token
    "woocommerce"   catalog/woocommerce.py   woocommerce_url, woocommerce_consumer_key/secret
    "endpoint"      catalog/endpoint.py      catalog_url, catalog_token (optional)
    None            no catalog: None

It never raises for the catalog's sake and never makes its caller wait long: the whole
lookup is bounded by `timeout` (a few seconds), a failure is logged at WARNING (shop,
source, error: no customer data is ever sent to or logged about a catalog) and answers
None, and a catalog that failed is not asked again for `rest_after_failure` (or its
Retry-After, bounded), so a shop's catalog being down costs each send nothing. What a
catalog answered (a product, or that it does not know a sku) is kept `cache_for` seconds
per (shop, sku), at most `cache_size` entries; a lookup asks only for the skus it lacks.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Protocol

import httpx

from catalog.endpoint import EndpointCatalog
from catalog.errors import CatalogBroken, CatalogError, CatalogUnavailable
from catalog.shopify import ShopifyCatalog
from catalog.woocommerce import WooCommerceCatalog
from observability import metrics
from rendering.live import ProductNow
from storage.shops import CATALOG_SOURCES, INTEGRATION_NEEDS, ShopProfile

log = logging.getLogger("cartnudge.catalog")

CATALOG_TIMEOUT = 3.0  # seconds for the whole lookup, every request of it
CACHE_FOR = 60.0
CACHE_SIZE = 10_000
REST_AFTER_FAILURE = 30.0
MOST_REST = 300.0  # a Retry-After longer than this is not believed
SKUS_PER_REQUEST = 50  # a cart rarely has more; a longer query string risks a 414

_UNKNOWN = None  # cached: the catalog answered, and does not know the sku


class CatalogSource(Protocol):
    name: str

    async def products(self, skus: Sequence[str]) -> dict[str, ProductNow]:
        """The products of these skus the catalog knows, by sku; raises a CatalogError."""


class CatalogLookup:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout: float = CATALOG_TIMEOUT,
        cache_for: float = CACHE_FOR,
        cache_size: int = CACHE_SIZE,
        rest_after_failure: float = REST_AFTER_FAILURE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._cache_for = cache_for
        self._cache_size = cache_size
        self._rest_after_failure = rest_after_failure
        self._clock = clock
        # (shop, sku) -> (expires at, the product or _UNKNOWN); oldest first
        self._cache: OrderedDict[tuple[str, str], tuple[float, ProductNow | None]] = OrderedDict()
        self._resting: dict[str, tuple[float, float, str]] = {}  # shop -> (since, until, why)

    async def current(self, shop: ShopProfile, skus: Sequence[str]) -> dict[str, ProductNow] | None:
        """The products of these skus the shop's catalog knows now, by sku. None: the shop
        has no catalog, or it failed (logged); the caller then keeps the snapshot's data."""
        if not shop.catalog_source:
            return None
        now = self._clock()
        resting = self._resting.get(shop.shop)
        if resting is not None and now < resting[1]:
            log.warning(
                "catalog of shop %s (%s) failed %.0fs ago, not asked again yet: %s; the"
                " message uses the cart snapshot's data",
                shop.shop,
                shop.catalog_source,
                now - resting[0],
                resting[2],
            )
            metrics.catalog_call(shop.catalog_source, "resting")
            return None
        wanted = list(dict.fromkeys(skus))
        known = {sku: self._cached(shop.shop, sku, now) for sku in wanted}
        missing = [sku for sku, entry in known.items() if entry is None]
        if not missing:
            metrics.catalog_call(shop.catalog_source, "cached")
        else:
            fresh = await self._ask(shop, missing)
            if fresh is None:
                return None
            now = self._clock()
            for sku in missing:
                product = fresh.get(sku, _UNKNOWN)
                self._store(shop.shop, sku, now, product)
                known[sku] = (now, product)
        return {sku: entry[1] for sku, entry in known.items() if entry and entry[1] is not None}

    async def _ask(self, shop: ShopProfile, skus: list[str]) -> dict[str, ProductNow] | None:
        source_name = shop.catalog_source
        try:
            source = self._source(shop)
            found: dict[str, ProductNow] = {}
            async with asyncio.timeout(self._timeout):
                for start in range(0, len(skus), SKUS_PER_REQUEST):
                    found |= await source.products(skus[start : start + SKUS_PER_REQUEST])
        except TimeoutError:
            error: Exception = CatalogUnavailable(f"no answer within {self._timeout:g}s")
            metrics.catalog_call(source_name, "unavailable")
        except CatalogError as err:
            error = err
            metrics.catalog_call(
                source_name, "unavailable" if isinstance(err, CatalogUnavailable) else "broken"
            )
        except Exception as err:  # a bug of ours must not hold the message either
            log.exception("catalog of shop %s (%s): unexpected failure", shop.shop, source_name)
            error = err
            metrics.catalog_call(source_name, "error")
        else:
            self._resting.pop(shop.shop, None)
            metrics.catalog_call(source_name, "ok")
            return found
        rest = self._rest_after_failure
        if isinstance(error, CatalogUnavailable) and error.retry_after is not None:
            rest = min(max(rest, error.retry_after), MOST_REST)
        failed_at = self._clock()
        self._resting[shop.shop] = (failed_at, failed_at + rest, str(error))
        log.warning(
            "catalog of shop %s (%s) failed: %s; the message uses the cart snapshot's data",
            shop.shop,
            source_name,
            error,
        )
        return None

    def _source(self, shop: ShopProfile) -> CatalogSource:
        where = f"shop {shop.shop}'s catalog source {shop.catalog_source!r}"
        needs = INTEGRATION_NEEDS.get(("catalog_source", shop.catalog_source or ""))
        if needs is None:
            raise CatalogBroken(f"{where} is none of {', '.join(CATALOG_SOURCES)}")
        missing = [field for field in needs if not getattr(shop, field)]
        if missing:
            raise CatalogBroken(f"{where} needs {', '.join(missing)}")
        if shop.catalog_source == "shopify":
            assert shop.shopify_domain and shop.shopify_admin_token
            return ShopifyCatalog(
                self._client,
                domain=shop.shopify_domain,
                access_token=shop.shopify_admin_token,
                timeout=self._timeout,
            )
        if shop.catalog_source == "woocommerce":
            assert shop.woocommerce_url
            assert shop.woocommerce_consumer_key and shop.woocommerce_consumer_secret
            return WooCommerceCatalog(
                self._client,
                url=shop.woocommerce_url,
                consumer_key=shop.woocommerce_consumer_key,
                consumer_secret=shop.woocommerce_consumer_secret,
                timeout=self._timeout,
            )
        if shop.catalog_source == "endpoint":
            assert shop.catalog_url
            return EndpointCatalog(
                self._client, url=shop.catalog_url, token=shop.catalog_token, timeout=self._timeout
            )
        raise CatalogBroken(f"{where}: this worker has no client for it")

    def _cached(self, shop: str, sku: str, now: float) -> tuple[float, ProductNow | None] | None:
        entry = self._cache.get((shop, sku))
        if entry is None:
            return None
        if entry[0] <= now:
            del self._cache[(shop, sku)]
            return None
        self._cache.move_to_end((shop, sku))
        return entry

    def _store(self, shop: str, sku: str, now: float, product: ProductNow | None) -> None:
        self._cache[(shop, sku)] = (now + self._cache_for, product)
        self._cache.move_to_end((shop, sku))
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)


def in_cart_currency(
    products: Mapping[str, ProductNow], *, cart_currency: str, shop: ShopProfile
) -> dict[str, ProductNow]:
    """A catalog's prices are in the shop's currency: for a cart in another (Shopify's
    presentment currencies), keep stock and images and leave the snapshot's prices."""
    if cart_currency == shop.currency:
        return dict(products)
    return {
        sku: replace(product, price=None, compare_at_price=None)
        for sku, product in products.items()
    }
