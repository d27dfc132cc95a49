"""How an HTTP provider's failure becomes a `ChannelError`, the same way for every client.

    timeout, connection refused or dropped       TransientChannelError
    HTTP 408, 429, 5xx                           TransientChannelError (429 and 503 carry
                                                 `retry_after` from the Retry-After header)
    any other HTTP 4xx (bad address, auth, ...)  PermanentChannelError with the provider's text

A transient error does not always mean the provider never saw the message: a read timeout,
a dropped connection after the request went out, or a 500/502/504 may come after it
accepted it. Those are marked `maybe_delivered`; whether such a message may be sent again
is the sender's `repeat_is_harmless`, not this module's business.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx

from channels.errors import ChannelError, PermanentChannelError, TransientChannelError

# Enough of a provider's error body to tell what went wrong; the outbox keeps 300 characters.
MAX_DETAIL = 200

_RETRYABLE_STATUS = {HTTPStatus.REQUEST_TIMEOUT, HTTPStatus.TOO_MANY_REQUESTS}
_RETRY_AFTER_STATUS = {HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.SERVICE_UNAVAILABLE}
# Request errors that say our request or configuration is wrong: sending again can not help.
_PERMANENT_REQUEST_ERRORS = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)
# The request may have been read and acted on; only the answer is missing.
_ANSWER_LOST = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)
# Errors from behind the provider's front door: the message may already be queued.
_MAYBE_PROCESSED_STATUS = {
    HTTPStatus.INTERNAL_SERVER_ERROR,
    HTTPStatus.BAD_GATEWAY,
    HTTPStatus.GATEWAY_TIMEOUT,
}


def channel_error(
    provider: str,
    failure: httpx.Response | httpx.RequestError,
    *,
    detail: str | None = None,
    now: datetime | None = None,
) -> ChannelError:
    """The error for a failed request: a response that is not 2xx, or no response at all.

    `detail` is the provider's own error text when the caller parsed it; otherwise the body.
    """
    if isinstance(failure, httpx.RequestError):
        text = f"{provider}: {type(failure).__name__}: {failure}"[: MAX_DETAIL + 50]
        if isinstance(failure, _PERMANENT_REQUEST_ERRORS):
            return PermanentChannelError(text)
        return TransientChannelError(text, maybe_delivered=isinstance(failure, _ANSWER_LOST))

    status = failure.status_code
    shown = _truncate(detail if detail is not None else failure.text) or failure.reason_phrase
    message = f"{provider}: HTTP {status}: {shown}"
    if status in _RETRYABLE_STATUS or status >= 500:
        retry_after = None
        header = failure.headers.get("Retry-After")
        if header is not None and status in _RETRY_AFTER_STATUS:
            retry_after = parse_retry_after(header, now=now or datetime.now(UTC))
        return TransientChannelError(
            message, retry_after=retry_after, maybe_delivered=status in _MAYBE_PROCESSED_STATUS
        )
    return PermanentChannelError(message)


def raise_for_status(provider: str, response: httpx.Response, *, detail: str | None = None) -> None:
    """Raise the `channel_error` for a response that is not 2xx."""
    if not response.is_success:
        raise channel_error(provider, response, detail=detail)


async def post(client: httpx.AsyncClient, provider: str, url: str, **kwargs: Any) -> httpx.Response:
    """POST and return whatever the provider answered; no answer at all raises a ChannelError."""
    try:
        return await client.post(url, **kwargs)
    except httpx.RequestError as err:
        raise channel_error(provider, err) from err


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The response body as a JSON object; {} when it is not one (an HTML error page...)."""
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def parse_retry_after(value: str, *, now: datetime) -> float | None:
    """Seconds to wait, from Retry-After as delta-seconds or HTTP-date; None if unreadable."""
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" dates parse naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _truncate(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"
