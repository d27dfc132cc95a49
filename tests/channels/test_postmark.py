"""Postmark gets exactly the Email API request it documents, and its answers are read."""

from __future__ import annotations

import httpx
import pytest

from channels.errors import PermanentChannelError
from channels.postmark import PostmarkSender
from tests.channels import FakeApi, json_body, make_email
from tests.channels.senders import send_postmark as send

ACCEPTED = {
    "To": "ayse@example.com",
    "SubmittedAt": "2026-11-22T10:00:00.0000000-05:00",
    "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d",
    "ErrorCode": 0,
    "Message": "OK",
}


async def test_posts_the_email_request_and_returns_the_message_id() -> None:
    fake = FakeApi(httpx.Response(200, json=ACCEPTED))

    assert await send(fake) == "0a129aee-e1cd-480d-b08d-4f48548ff48d"

    request = fake.request
    assert (request.method, str(request.url)) == ("POST", "https://postmark.test/email")
    assert request.headers["X-Postmark-Server-Token"] == "pm-token"
    assert request.headers["Accept"] == "application/json"
    assert json_body(request) == {
        "From": "Koşu Dükkanı <hello@shop.example>",
        "To": '"Ayşe" <ayse@example.com>',
        "Subject": "Sepetinizde ürünler var",
        "HtmlBody": "<p>Merhaba</p>",
        "TextBody": "Merhaba",
        "Headers": [{"Name": "List-Unsubscribe", "Value": "<https://cartnudge.test/u/abc>"}],
        "Metadata": {
            "shop": "demo_shop",
            "message_id": "r1",
            "cartnudge_key": "cart-demo_shop-c1:run-1:steps[0]",
        },
        "MessageStream": "broadcast",
    }


async def test_a_recipient_without_name_is_the_bare_address() -> None:
    fake = FakeApi(httpx.Response(200, json=ACCEPTED))
    await send(fake, make_email(to_name=None))
    assert json_body(fake.request)["To"] == "ayse@example.com"


async def test_quotes_in_a_name_are_escaped() -> None:
    fake = FakeApi(httpx.Response(200, json=ACCEPTED))
    await send(fake, make_email(to_name='Ayşe "Ayşo" Y.'))
    assert json_body(fake.request)["To"] == '"Ayşe \\"Ayşo\\" Y." <ayse@example.com>'


def test_a_repeat_would_be_a_second_email() -> None:
    assert PostmarkSender.repeat_is_harmless is False


@pytest.mark.parametrize(
    ("error_code", "message"),
    [
        (406, "You tried to send to a recipient that has been marked as inactive."),
        (300, "Invalid 'To' address: 'ayse@'."),
    ],
)
async def test_a_refused_recipient_is_permanent_with_postmarks_reason(
    error_code: int, message: str
) -> None:
    reply = httpx.Response(422, json={"ErrorCode": error_code, "Message": message})
    with pytest.raises(PermanentChannelError) as raised:
        await send(FakeApi(reply))
    assert str(raised.value) == f"Postmark: HTTP 422: ErrorCode {error_code}: {message}"


async def test_a_refused_token_is_permanent() -> None:
    reply = httpx.Response(401, json={"ErrorCode": 10, "Message": "Bad or missing token"})
    with pytest.raises(PermanentChannelError, match="Bad or missing token"):
        await send(FakeApi(reply))
