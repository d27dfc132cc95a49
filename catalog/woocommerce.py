"""A WooCommerce shop's catalog through its REST API (v3).

    GET {woocommerce_url}/wp-json/wc/v3/products?sku=<sku>,<sku>&per_page=<n>
    Authorization: Basic <consumer key>:<consumer secret>   (a key with Read permission)

WooCommerce answers a list of products; a sku filter also finds variations in current
WooCommerce versions (they come back with `type: "variation"` and one `image` instead of
`images`). A sku it does not answer keeps the snapshot's data.

    price                  the current price ("" when none is set: no price)
    regular_price          the price before a sale: compare_at_price when the product is
                           on sale (`sale_price` set) and it is higher than `price`
    stock_status           "instock" or "onbackorder": available; anything else is not
                           (as is a product not published, or `purchasable: false`)
    stock_quantity         read when `manage_stock` (true, or "parent" for a variation)
                           and in stock; else no stock count
    images[0].src, image   the image; `permalink` the page

Prices are in the shop's currency. Failures (catalog/errors.py): 401 and 403 (WooCommerce's
`woocommerce_rest_cannot_view`: a wrong key or one without Read) and any other status are
CatalogBroken, as is a body that is not a list of products; 429 and 5xx CatalogUnavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Literal

import httpx
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StrictBool,
    StrictInt,
    TypeAdapter,
    ValidationError,
)

from catalog import http
from catalog.errors import CatalogBroken
from contract.fields import Money, WebUrl
from rendering.live import ProductNow
from sending.order_lookup import shown_url

PRODUCTS_PATH = "/wp-json/wc/v3/products"
MOST_PER_PAGE = 100  # WooCommerce's own limit of per_page
AVAILABLE = frozenset({"instock", "onbackorder"})

_MONEY: TypeAdapter[Decimal] = TypeAdapter(Money)


def _price(value: Any) -> Decimal | None:
    """WooCommerce's prices are decimal strings, "" when not set."""
    if value == "" or value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("a price is a decimal string")
    try:
        return _MONEY.validate_python(Decimal(value))
    except InvalidOperation as err:
        raise ValueError(f"{value!r} is not a price") from err


Price = Annotated[Decimal | None, BeforeValidator(_price)]


class _Image(BaseModel):
    model_config = ConfigDict(extra="ignore")

    src: WebUrl


class _Product(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: StrictInt
    sku: str
    status: str | None = None  # "publish", "draft", "private"...
    purchasable: StrictBool | None = None
    price: Price = None
    regular_price: Price = None
    sale_price: Price = None
    stock_status: str
    manage_stock: StrictBool | Literal["parent"] = False
    stock_quantity: StrictInt | None = None
    images: list[_Image] = []
    image: _Image | None = None  # a variation's
    permalink: WebUrl | None = None


_PRODUCTS: TypeAdapter[list[_Product]] = TypeAdapter(list[_Product])


class WooCommerceCatalog:
    """A WooCommerce shop's products and variations, by SKU."""

    name = "woocommerce"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        url: str,
        consumer_key: str,
        consumer_secret: str,
        timeout: float,
    ) -> None:
        self._client = client
        self._url = url.rstrip("/")
        self._auth = httpx.BasicAuth(consumer_key, consumer_secret)
        self._timeout = timeout
        self._where = f"WooCommerce catalog at {shown_url(url)}"

    async def products(self, skus: Sequence[str]) -> dict[str, ProductNow]:
        """The products and variations of these skus the shop has, by sku."""
        where = self._where
        found: dict[str, ProductNow] = {}
        for start in range(0, len(skus), MOST_PER_PAGE):
            found.update(await self._page(where, skus[start : start + MOST_PER_PAGE]))
        return found

    async def _page(self, where: str, skus: Sequence[str]) -> dict[str, ProductNow]:
        try:
            target = httpx.URL(self._url + PRODUCTS_PATH).copy_merge_params(
                {"sku": ",".join(skus), "per_page": str(len(skus))}
            )
        except httpx.InvalidURL as err:
            raise CatalogBroken(f"{where}: not a URL: {err}") from err
        if target.scheme not in ("http", "https") or not target.host:
            raise CatalogBroken(f"{where}: not an absolute http(s) URL")
        response = await http.request(
            self._client,
            where,
            "GET",
            target,
            auth=self._auth,
            headers={"Accept": "application/json"},
            timeout=self._timeout,
        )
        if response.status_code != httpx.codes.OK:
            raise http.classified(where, response)
        try:
            products = _PRODUCTS.validate_python(http.json_body(where, response))
        except ValidationError as err:
            raise CatalogBroken(
                f"{where}: HTTP 200 but not a list of products: {http.short(str(err))}"
            ) from err
        wanted = set(skus)
        return {product.sku: _now(product) for product in products if product.sku in wanted}


def _now(product: _Product) -> ProductNow:
    available = (
        product.stock_status in AVAILABLE
        and product.purchasable is not False
        and product.status in (None, "publish")
    )
    on_sale = product.sale_price is not None
    compare_at = product.regular_price if on_sale else None
    if compare_at is not None and (product.price is None or compare_at <= product.price):
        compare_at = None
    counted = bool(product.manage_stock) and product.stock_status == "instock"
    image = product.images[0] if product.images else product.image
    return ProductNow(
        sku=product.sku,
        available=available,
        price=product.price,
        compare_at_price=compare_at,
        inventory=product.stock_quantity if counted else None,
        image_url=image.src if image else None,
        url=product.permalink,
    )
