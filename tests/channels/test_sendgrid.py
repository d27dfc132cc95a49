"""SendGrid gets exactly the Mail Send request its API documents, and its answers are read."""

from __future__ import annotations

import httpx
import pytest

from channels.errors import PermanentChannelError
from channels.sendgrid import SendgridSender
from tests.channels import FakeApi, json_body, make_email
from tests.channels.senders import send_sendgrid as send


async def test_posts_the_mail_send_request_and_returns_the_message_id() -> None:
    fake = FakeApi(httpx.Response(202, headers={"X-Message-Id": "sg-msg-1"}))

    assert await send(fake) == "sg-msg-1"

    request = fake.request
    assert (request.method, str(request.url)) == ("POST", "https://sendgrid.test/v3/mail/send")
    assert request.headers["Authorization"] == "Bearer SG.key"
    assert request.headers["Content-Type"] == "application/json"
    assert json_body(request) == {
        "personalizations": [{"to": [{"email": "ayse@example.com", "name": "Ayşe"}]}],
        "from": {"email": "hello@shop.example", "name": "Koşu Dükkanı"},
        "subject": "Sepetinizde ürünler var",
        "content": [
            {"type": "text/plain", "value": "Merhaba"},
            {"type": "text/html", "value": "<p>Merhaba</p>"},
        ],
        "headers": {"List-Unsubscribe": "<https://cartnudge.test/u/abc>"},
        "custom_args": {
            "shop": "demo_shop",
            "message_id": "r1",
            "cartnudge_key": "cart-demo_shop-c1:run-1:steps[0]",
        },
    }


async def test_names_are_left_out_when_there_are_none() -> None:
    fake = FakeApi(httpx.Response(202, headers={"X-Message-Id": "sg-msg-2"}))

    await send(fake, make_email(to_name=None, sender="hello@shop.example", headers={}))

    body = json_body(fake.request)
    assert body["personalizations"] == [{"to": [{"email": "ayse@example.com"}]}]
    assert body["from"] == {"email": "hello@shop.example"}
    assert "headers" not in body


def test_a_repeat_would_be_a_second_email() -> None:
    assert SendgridSender.repeat_is_harmless is False


async def test_a_refused_key_is_permanent() -> None:
    reply = httpx.Response(401, json={"errors": [{"message": "bad key"}]})
    with pytest.raises(PermanentChannelError, match="bad key"):
        await send(FakeApi(reply))


async def test_a_refused_address_is_permanent_with_sendgrids_reason() -> None:
    refusal = {
        "errors": [
            {
                "message": "Does not contain a valid address.",
                "field": "personalizations.0.to.0.email",
                "help": None,
            }
        ]
    }
    with pytest.raises(PermanentChannelError) as raised:
        await send(FakeApi(httpx.Response(400, json=refusal)))
    assert str(raised.value) == (
        "SendGrid: HTTP 400: personalizations.0.to.0.email: Does not contain a valid address."
    )
