"""The generic catalog endpoint a shop (or its adapter) serves (README, "Catalog endpoint"):

    GET {catalog_url}?skus=<sku>,<sku>
    Authorization: Bearer <catalog_token>         (when the shop has a token)

    200 {"products": [{"sku": "SKU-1", "price": "1199.90", "compare_at_price": "1299.90",
                       "in_stock": true, "inventory": 3,
                       "image_url": "https://...", "url": "https://..."}]}

Only `sku` and `in_stock` are required; a sku left out of the answer is one the catalog
does not know (its item keeps the snapshot's data). Parsed strictly: a body that is not
this format (a string for `in_stock`, a price that is not a decimal, a sku twice) is a
`CatalogBroken`, never half-read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import httpx
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError

from catalog import http
from catalog.errors import CatalogBroken
from contract.fields import Money, WebUrl
from rendering.live import ProductNow
from sending.order_lookup import shown_url


class _Product(BaseModel):
    model_config = ConfigDict(extra="ignore")  # adapters may send more; it is not read

    sku: Annotated[str, Field(min_length=1, max_length=200)]
    in_stock: StrictBool
    price: Money | None = None
    compare_at_price: Money | None = None
    inventory: StrictInt | None = None
    image_url: WebUrl | None = None
    url: WebUrl | None = None


class _Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    products: list[_Product]


class EndpointCatalog:
    """A shop's own catalog endpoint."""

    name = "endpoint"

    def __init__(
        self, client: httpx.AsyncClient, *, url: str, token: str | None, timeout: float
    ) -> None:
        self._client = client
        self._url = url
        self._token = token
        self._timeout = timeout
        self._where = f"catalog endpoint at {shown_url(url)}"

    async def products(self, skus: Sequence[str]) -> dict[str, ProductNow]:
        """The products of these skus the catalog knows, by sku."""
        where = self._where
        try:
            # merged: `params=` would drop a query the shop's URL already has
            target = httpx.URL(self._url).copy_merge_params({"skus": ",".join(skus)})
        except httpx.InvalidURL as err:
            raise CatalogBroken(f"{where}: not a URL: {err}") from err
        if target.scheme not in ("http", "https") or not target.host:
            raise CatalogBroken(f"{where}: not an absolute http(s) URL")
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        response = await http.request(
            self._client, where, "GET", target, headers=headers, timeout=self._timeout
        )
        if response.status_code != httpx.codes.OK:
            raise http.classified(where, response)
        try:
            answer = _Answer.model_validate(http.json_body(where, response))
        except ValidationError as err:
            raise CatalogBroken(
                f"{where}: HTTP 200 but not a catalog answer: {http.short(str(err))}"
            ) from err
        found: dict[str, ProductNow] = {}
        for product in answer.products:
            if product.sku in found:
                raise CatalogBroken(f"{where}: sku {product.sku!r} answered twice")
            found[product.sku] = ProductNow(
                sku=product.sku,
                available=product.in_stock,
                price=product.price,
                compare_at_price=product.compare_at_price,
                inventory=product.inventory,
                image_url=product.image_url,
                url=product.url,
            )
        wanted = set(skus)
        return {sku: product for sku, product in found.items() if sku in wanted}
