"""One rule for every HTTP provider: what may succeed later is transient, the rest permanent."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from channels.errors import PermanentChannelError, TransientChannelError
from channels.http_errors import channel_error, parse_retry_after, post
from tests.channels import FakeApi

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
REQUEST = httpx.Request("POST", "https://provider.test/send")


def answer(status: int, text: str = "", **headers: str) -> httpx.Response:
    return httpx.Response(status, text=text, headers=headers, request=REQUEST)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_timeouts_rate_limits_and_server_errors_are_transient(status: int) -> None:
    error = channel_error("Acme", answer(status, "busy"))
    assert isinstance(error, TransientChannelError)
    assert str(error) == f"Acme: HTTP {status}: busy"


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 413, 422])
def test_other_client_errors_are_permanent(status: int) -> None:
    assert isinstance(channel_error("Acme", answer(status, "no")), PermanentChannelError)


def test_a_rate_limit_carries_retry_after_seconds() -> None:
    error = channel_error("Acme", answer(429, **{"Retry-After": "7"}))
    assert isinstance(error, TransientChannelError)
    assert error.retry_after == 7


def test_unavailable_carries_retry_after_given_as_a_date() -> None:
    error = channel_error(
        "Acme", answer(503, **{"Retry-After": "Sun, 22 Nov 2026 10:02:00 GMT"}), now=NOW
    )
    assert isinstance(error, TransientChannelError)
    assert error.retry_after == 120


def test_retry_after_is_ignored_where_it_does_not_mean_wait() -> None:
    error = channel_error("Acme", answer(500, **{"Retry-After": "7"}))
    assert isinstance(error, TransientChannelError)
    assert error.retry_after is None


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Sun, 22 Nov 2026 10:00:30 GMT", 30.0),
        ("Sun, 22 Nov 2026 09:00:00 GMT", 0.0),  # already past: no wait
        ("-5", None),
        ("1.5", None),
        ("soon", None),
    ],
)
def test_retry_after_reads_seconds_or_an_http_date(header: str, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


def test_the_providers_text_is_shown_shortened_and_on_one_line() -> None:
    error = channel_error("Acme", answer(400, "bad\n  address " + "x" * 500))
    assert str(error).startswith("Acme: HTTP 400: bad address xxx")
    assert len(str(error)) < 250


def test_a_parsed_detail_replaces_the_body() -> None:
    error = channel_error("Acme", answer(400, '{"e": 1}'), detail="invalid email")
    assert str(error) == "Acme: HTTP 400: invalid email"


def test_an_empty_body_shows_the_reason_phrase() -> None:
    assert str(channel_error("Acme", answer(404))) == "Acme: HTTP 404: Not Found"


@pytest.mark.parametrize(
    "error_type", [httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout, httpx.ReadError]
)
async def test_no_answer_at_all_is_transient(error_type: type[httpx.TransportError]) -> None:
    async with FakeApi(error_type).client() as client:
        with pytest.raises(TransientChannelError, match=f"Acme: {error_type.__name__}"):
            await post(client, "Acme", "https://provider.test/send")


async def test_a_url_the_client_can_not_speak_is_permanent() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(PermanentChannelError, match="UnsupportedProtocol"):
            await post(client, "Acme", "ftp://provider.test/send")


async def test_post_hands_back_any_answer_for_the_caller_to_judge() -> None:
    fake = FakeApi(httpx.Response(404, text="gone"))
    async with fake.client() as client:
        response = await post(client, "Acme", "https://provider.test/send", json={"a": 1})
    assert response.status_code == 404
    assert fake.request.method == "POST"
    assert fake.request.content == b'{"a":1}'
