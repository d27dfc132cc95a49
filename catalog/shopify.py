"""A Shopify shop's catalog through the Admin GraphQL API.

    POST https://{shopify_domain}/admin/api/{API_VERSION}/graphql.json
    X-Shopify-Access-Token: <shopify_admin_token>     (scopes read_products, read_inventory)

Our sku for a Shopify cart line is the variant's SKU, else its variant id
(api/platforms/shopify.py), so one query asks both ways: `nodes(ids:)` for the skus that
are numbers (as `gid://shopify/ProductVariant/<id>`) and `productVariants(query:)` for a
variant whose `sku` is exactly one of them (the search matches loosely; we keep exact
matches). A SKU match wins over an id match, as it does in the mapping.

    price, compareAtPrice    Money scalars (decimal strings), in the shop's currency
    availableForSale         false: never shown as available
    inventoryQuantity        read only when `inventoryItem.tracked` (else no stock count)
    image                    the variant's image, else the product's featured image
    product.onlineStoreUrl   null while the product is not on the online store

Failures (catalog/errors.py): a 401 or 403 (a wrong or revoked token), another status, or
`errors` in the answer are CatalogBroken, except THROTTLED, which is CatalogUnavailable
(its wait from the answer's throttleStatus when given), as are 429 (Retry-After) and 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, StrictBool, StrictInt, ValidationError
from pydantic.alias_generators import to_camel

from catalog import http
from catalog.errors import CatalogBroken, CatalogUnavailable
from channels import shopify_admin
from contract.fields import Money, WebUrl
from rendering.live import ProductNow

API_VERSION = "2025-07"
VARIANT_GID = "gid://shopify/ProductVariant/"
# productVariants(first:) is at most 250; the loose search may match more than asked for.
MOST_VARIANTS = 250
_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}(:\d+)?$")

QUERY = """
query CartnudgeCatalog($ids: [ID!]!, $skuQuery: String!, $first: Int!) {
  byId: nodes(ids: $ids) { ...variantNow }
  bySku: productVariants(first: $first, query: $skuQuery) { nodes { ...variantNow } }
}
fragment variantNow on ProductVariant {
  id
  sku
  price
  compareAtPrice
  inventoryQuantity
  availableForSale
  inventoryItem { tracked }
  image { url }
  product { onlineStoreUrl featuredImage { url } }
}
""".strip()


class _Shaped(BaseModel):
    model_config = ConfigDict(extra="ignore", alias_generator=to_camel)


class _Image(_Shaped):
    url: WebUrl


class _Product(_Shaped):
    online_store_url: WebUrl | None = None
    featured_image: _Image | None = None


class _InventoryItem(_Shaped):
    tracked: StrictBool


class _Variant(_Shaped):
    id: str
    sku: str | None = None
    price: Money
    compare_at_price: Money | None = None
    inventory_quantity: StrictInt | None = None
    available_for_sale: StrictBool
    inventory_item: _InventoryItem | None = None
    image: _Image | None = None
    product: _Product | None = None


class _Variants(_Shaped):
    nodes: list[_Variant]


class _Data(_Shaped):
    # nodes(ids:) answers null for an id that is no longer there, and {} for one that is
    # not a variant: neither is a product now. The rest is read as _Variant, strictly.
    by_id: list[dict[str, Any] | None]
    by_sku: _Variants

    def variants_by_id(self) -> list[_Variant]:
        return [_Variant.model_validate(node) for node in self.by_id if node]


class ShopifyCatalog:
    """A Shopify shop's variants, by SKU or variant id."""

    name = "shopify"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        domain: str,
        access_token: str,
        timeout: float,
        api_version: str = API_VERSION,
    ) -> None:
        self._client = client
        self._domain = domain.strip().lower()
        self._token = access_token
        self._timeout = timeout
        self._api_version = api_version
        self._where = f"Shopify catalog of {self._domain}"

    async def products(self, skus: Sequence[str]) -> dict[str, ProductNow]:
        """The variants of these skus the shop has, by our sku."""
        where = self._where
        if not _DOMAIN.match(self._domain):
            raise CatalogBroken(f"{where}: not a shop domain such as my-shop.myshopify.com")
        ids = [f"{VARIANT_GID}{sku}" for sku in skus if sku.isascii() and sku.isdigit()]
        variables = {
            "ids": ids,
            "skuQuery": " OR ".join(f"sku:{_quoted(sku)}" for sku in skus),
            "first": MOST_VARIANTS,
        }
        response = await http.request(
            self._client,
            where,
            "POST",
            shopify_admin.graphql_url(self._domain, self._api_version),
            headers=shopify_admin.auth_headers(self._token),
            json={"query": QUERY, "variables": variables},
            timeout=self._timeout,
        )
        if response.status_code != httpx.codes.OK:
            raise http.classified(where, response)
        body = http.json_body(where, response)
        if not isinstance(body, dict):
            raise CatalogBroken(f"{where}: HTTP 200 but not a GraphQL answer")
        if body.get("errors"):
            raise _graphql_error(where, body)
        try:
            data = _Data.model_validate(body.get("data"))
            by_id = data.variants_by_id()
        except ValidationError as err:
            raise CatalogBroken(
                f"{where}: HTTP 200 but not the variants asked for: {http.short(str(err))}"
            ) from err
        return _by_sku(skus, by_id, data.by_sku.nodes)


def _quoted(sku: str) -> str:
    """The sku as a phrase of Shopify's search syntax: quotes and backslashes escaped."""
    escaped = sku.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _by_sku(
    skus: Sequence[str], by_id: list[_Variant], by_sku: list[_Variant]
) -> dict[str, ProductNow]:
    wanted = set(skus)
    found: dict[str, ProductNow] = {}
    for variant in by_id:
        variant_id = variant.id.removeprefix(VARIANT_GID)
        if variant_id in wanted:
            found[variant_id] = _now(variant_id, variant)
    for variant in by_sku:  # after the ids: a SKU match wins
        if variant.sku and variant.sku in wanted:
            found[variant.sku] = _now(variant.sku, variant)
    return found


def _now(sku: str, variant: _Variant) -> ProductNow:
    product = variant.product
    image = variant.image or (product.featured_image if product else None)
    tracked = variant.inventory_item is not None and variant.inventory_item.tracked
    return ProductNow(
        sku=sku,
        available=variant.available_for_sale,
        price=variant.price,
        compare_at_price=variant.compare_at_price,
        inventory=variant.inventory_quantity if tracked else None,
        image_url=image.url if image else None,
        url=product.online_store_url if product else None,
    )


def _graphql_error(where: str, body: dict[str, Any]) -> CatalogUnavailable | CatalogBroken:
    messages = http.short(shopify_admin.error_messages(body))
    if shopify_admin.throttled(body):
        return CatalogUnavailable(
            f"{where}: throttled: {messages}", retry_after=shopify_admin.throttle_wait(body)
        )
    if isinstance(body["errors"], str):  # Shopify's auth failures: {"errors": "[API] ..."}
        return CatalogBroken(f"{where}: {messages}")
    return CatalogBroken(f"{where}: GraphQL errors: {messages}")
