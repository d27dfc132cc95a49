"""What every catalog source does with HTTP: one GET or POST without redirects, failures
classified the way every HTTP peer's are (channels/http_errors.py), JSON read exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx

from catalog.errors import CatalogBroken, CatalogError, CatalogUnavailable
from channels.errors import TransientChannelError
from channels.http_errors import MAX_DETAIL, channel_error

CONNECT_TIMEOUT = 2.0


async def request(
    client: httpx.AsyncClient,
    where: str,
    method: str,
    url: httpx.URL | str,
    *,
    timeout: float,
    **kwargs: Any,
) -> httpx.Response:
    """The response, whatever its status; no answer at all raises a CatalogError."""
    try:
        return await client.request(
            method,
            url,
            timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
            follow_redirects=False,  # no source documents one: a redirect means a wrong URL
            **kwargs,
        )
    except httpx.RequestError as err:
        raise classified(where, err) from err
    except UnicodeEncodeError as err:  # a token or key that headers can not carry
        raise CatalogBroken(f"{where}: the credentials can not be sent: {err.reason}") from err


def classified(where: str, failure: httpx.Response | httpx.RequestError) -> CatalogError:
    """Timeouts, dropped connections, 408, 429 and 5xx may pass; anything else is broken."""
    error = channel_error(where, failure)
    if isinstance(error, TransientChannelError):
        return CatalogUnavailable(str(error), retry_after=error.retry_after)
    return CatalogBroken(str(error))


def json_body(where: str, response: httpx.Response) -> Any:
    """The body as JSON, numbers as Decimals (a price sent as a number keeps its cents)."""
    try:
        return json.loads(response.content, parse_float=Decimal)
    except ValueError as err:
        raise CatalogBroken(
            f"{where}: HTTP {response.status_code} but not JSON: {short(response.text)}"
        ) from err


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
