"""The shop's own order lookup: asked before a send when our records hold no order for the cart.

(sending/order_check.py asks it; this module is its HTTP client.)

A purchase event can be lost between the shop and us; the shop's endpoint is the second
opinion that keeps a customer who bought from being reminded. The contract (README, "Order
lookup endpoint"):

    GET {order_lookup_url}?cart_id=<cart id>
    Authorization: Bearer <order_lookup_token>         (when the shop has a token)

    200 {"order_id": "...", "total": "1299.90", "currency": "TRY", "placed_at": "..."}
                                                       bought: this order
    404                                                not bought (no order for the cart)

Anything else is an `OrderLookupError`; neither kind may be read as "not bought":

OrderLookupError
├── LookupUnavailable   ask again soon: timeout, connection refused or dropped, HTTP 408,
│                       429, 5xx (`retry_after` from Retry-After on 429 and 503)
└── LookupBroken        the shop must fix its endpoint: 401, 403, any other status, a
                        redirect, a body that is not an order (or an order of another cart)
"""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import httpx
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from channels.errors import TransientChannelError
from channels.http_errors import MAX_DETAIL, channel_error
from contract.fields import Currency, Money
from workflows.payloads import OrderPlaced

# The whole lookup ends well inside the send activity's 2 min start-to-close timeout (the
# activity heartbeats meanwhile), so a slow shop fails this attempt, which is retried.
LOOKUP_TIMEOUT = 8.0
CONNECT_TIMEOUT = 3.0


class OrderLookupError(Exception):
    """The shop's endpoint gave no usable answer: whether the cart was bought is unknown."""


class LookupUnavailable(OrderLookupError):
    """The endpoint may answer if asked again soon."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LookupBroken(OrderLookupError):
    """The endpoint answers, but not as the contract says: someone must fix it."""


class _Answer(BaseModel):
    """A 200's body. Fields beyond the contract are ignored: shops' adapters return more."""

    model_config = ConfigDict(extra="ignore")

    order_id: Annotated[str, Field(min_length=1, max_length=200)]
    total: Money
    currency: Currency
    placed_at: AwareDatetime | None = None
    cart_id: str | None = None  # optional echo of the question; checked when present


class ShopOrderLookup:
    """Asks a shop's order lookup endpoint whether a cart was bought."""

    def __init__(self, client: httpx.AsyncClient, *, timeout: float = LOOKUP_TIMEOUT) -> None:
        self._client = client
        self._timeout = timeout

    async def find(
        self, *, shop: str, url: str, token: str | None, cart_id: str
    ) -> OrderPlaced | None:
        """The cart's order as the shop knows it; None when the shop says there is none."""
        where = f"order lookup of shop {shop} at {shown_url(url)}"
        try:
            # merged: `params=` would drop a query the shop's URL already has
            target = httpx.URL(url).copy_merge_params({"cart_id": cart_id})
        except httpx.InvalidURL as err:
            raise LookupBroken(f"{where}: not a URL: {err}") from err
        if target.scheme not in ("http", "https") or not target.host:
            raise LookupBroken(f"{where}: not an absolute http(s) URL")
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            # httpx times each phase; the overall bound is what the activity's timeout needs.
            async with asyncio.timeout(self._timeout):
                response = await self._client.get(
                    target,
                    headers=headers,
                    timeout=httpx.Timeout(self._timeout, connect=CONNECT_TIMEOUT),
                    follow_redirects=False,  # the contract has none; one means a wrong URL
                )
        except TimeoutError as err:
            raise LookupUnavailable(f"{where}: no answer within {self._timeout:g}s") from err
        except httpx.RequestError as err:
            raise _classified(where, err) from err
        except UnicodeEncodeError as err:  # a token headers can not carry
            raise LookupBroken(f"{where}: the token can not be sent: {err.reason}") from err
        if response.status_code == HTTPStatus.NOT_FOUND:
            return None
        if response.status_code != HTTPStatus.OK:
            raise _classified(where, response)
        return _order(where, response, cart_id)


def shown_url(url: str) -> str:
    """The URL without query or credentials, which may hold secrets: safe for logs and errors."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:  # a bracket or port that does not parse
        return "(a URL that does not parse)"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _classified(where: str, failure: httpx.Response | httpx.RequestError) -> OrderLookupError:
    # One classification for every HTTP peer (channels/http_errors.py): timeouts, 408, 429
    # and 5xx are worth another try, the rest is not.
    error = channel_error(where, failure)
    if isinstance(error, TransientChannelError):
        return LookupUnavailable(str(error), retry_after=error.retry_after)
    return LookupBroken(str(error))


def _order(where: str, response: httpx.Response, cart_id: str) -> OrderPlaced:
    try:
        # Decimals straight from the JSON text: a total sent as a number keeps its cents.
        body = json.loads(response.content, parse_float=Decimal)
        answer = _Answer.model_validate(body)
    except (ValueError, ValidationError) as err:
        # pydantic's message names each bad field; a non-JSON body gets its first characters
        detail = str(err) if isinstance(err, ValidationError) else response.text
        raise LookupBroken(f"{where}: HTTP 200 but not an order: {_short(detail)}") from err
    if answer.cart_id is not None and answer.cart_id != cart_id:
        raise LookupBroken(f"{where}: asked for cart {cart_id!r}, answered for {answer.cart_id!r}")
    return OrderPlaced(
        order_id=answer.order_id,
        total=answer.total,
        currency=answer.currency,
        placed_at=answer.placed_at,
    )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
