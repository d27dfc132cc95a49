"""Twilio gets exactly the Messages request it documents, and its error codes are read."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs

import httpx
import pytest

from channels.errors import PermanentChannelError, TransientChannelError
from channels.twilio import TwilioSender
from tests.channels import FakeApi
from tests.channels.senders import TWILIO_SMS as SMS
from tests.channels.senders import send_twilio as send

CREATED = {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}


def form(request: httpx.Request) -> dict[str, str]:
    fields = parse_qs(request.content.decode(), strict_parsing=True)
    return {name: value for name, [value] in fields.items()}


async def test_posts_the_message_form_and_returns_the_sid() -> None:
    fake = FakeApi(httpx.Response(201, json=CREATED))

    assert await send(fake, callback="https://cartnudge.test/webhooks/twilio/status") == (
        "SM0123456789abcdef0123456789abcdef"
    )

    request = fake.request
    assert (request.method, str(request.url)) == (
        "POST",
        "https://twilio.test/2010-04-01/Accounts/AC123/Messages.json",
    )
    credentials = base64.b64encode(b"AC123:tw-token").decode()
    assert request.headers["Authorization"] == f"Basic {credentials}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(request) == {
        "To": "+905321234567",
        "From": "+15005550006",
        "Body": SMS.body,
        "StatusCallback": "https://cartnudge.test/webhooks/twilio/status"
        "?key=cart-demo_shop-c1%3Arun-1%3Asteps%5B1%5D",
    }


async def test_a_messaging_service_sends_in_place_of_a_number() -> None:
    fake = FakeApi(httpx.Response(201, json=CREATED))

    await send(fake, sender="MG0123456789abcdef0123456789abcdef")

    assert form(fake.request) == {
        "To": "+905321234567",
        "MessagingServiceSid": "MG0123456789abcdef0123456789abcdef",
        "Body": SMS.body,
    }


async def test_the_key_joins_a_callback_url_that_has_a_query_already() -> None:
    fake = FakeApi(httpx.Response(201, json=CREATED))
    await send(fake, callback="https://cartnudge.test/status?shop=demo_shop")
    assert form(fake.request)["StatusCallback"] == (
        "https://cartnudge.test/status?shop=demo_shop&key=cart-demo_shop-c1%3Arun-1%3Asteps%5B1%5D"
    )


def test_a_repeat_would_be_a_second_sms() -> None:
    assert TwilioSender.repeat_is_harmless is False


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (21211, "The 'To' number +90532 is not a valid phone number."),
        (21614, "'To' number is not a valid mobile number"),
        (21610, "Attempt to send to unsubscribed recipient"),
    ],
)
async def test_a_number_that_can_not_receive_is_permanent(code: int, message: str) -> None:
    refusal = {"code": code, "message": message, "more_info": "https://...", "status": 400}
    with pytest.raises(PermanentChannelError) as raised:
        await send(FakeApi(httpx.Response(400, json=refusal)))
    assert str(raised.value) == f"Twilio: HTTP 400: error {code}: {message}"


async def test_a_full_sender_queue_is_retried_as_it_drains_by_itself() -> None:
    reply = httpx.Response(400, json={"code": 21611, "message": "queue full"})
    with pytest.raises(TransientChannelError):
        await send(FakeApi(reply))


async def test_a_refused_account_is_permanent() -> None:
    reply = httpx.Response(401, json={"code": 20003, "message": "Authenticate"})
    with pytest.raises(PermanentChannelError, match="Authenticate"):
        await send(FakeApi(reply))
