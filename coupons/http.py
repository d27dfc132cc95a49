"""A platform's HTTP failure as a coupon error, the way channels/http_errors.py reads a
provider's: timeouts, refused connections, 408, 429 (with Retry-After) and 5xx are
transient; any other 4xx permanent. 401 and 403 say which credentials to look at."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import httpx

from channels.errors import TransientChannelError
from channels.http_errors import channel_error
from coupons.errors import CouponError, PermanentCouponError, TransientCouponError

_CREDENTIALS = {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}


def coupon_error(
    platform: str,
    failure: httpx.Response | httpx.RequestError,
    *,
    detail: str | None = None,
    credentials_hint: str = "",
) -> CouponError:
    error = channel_error(platform, failure, detail=detail)
    if isinstance(error, TransientChannelError):
        return TransientCouponError(str(error), retry_after=error.retry_after)
    text = str(error)
    if isinstance(failure, httpx.Response) and failure.status_code in _CREDENTIALS:
        text = f"{text}; the shop's credentials were refused{credentials_hint}"
    return PermanentCouponError(text)


async def request(
    client: httpx.AsyncClient, platform: str, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """Whatever the platform answered; no answer at all raises a CouponError."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.RequestError as err:
        raise coupon_error(platform, err) from err
