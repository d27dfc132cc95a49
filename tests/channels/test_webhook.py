"""Webhook targets: signed JSON a receiver can verify and deduplicate, or a Slack alert."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from channels.errors import PermanentChannelError
from channels.slack import slack_message
from channels.webhook import WebhookSender
from tests.channels import FakeApi
from tests.channels.senders import WEBHOOK_PAYLOAD as PAYLOAD
from tests.channels.senders import WEBHOOK_SECRET as SECRET
from tests.channels.senders import send_webhook as send


def verifies(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """What a receiver does with the headers."""
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(f"sha256={expected.hexdigest()}", signature)


async def test_posts_signed_compact_json_and_returns_the_key() -> None:
    fake = FakeApi(httpx.Response(204))

    assert await send(fake) == "cart-demo_shop-c1:run-1:steps[2]"

    request = fake.request
    assert (request.method, str(request.url)) == ("POST", "https://crm.test/hooks/cartnudge")
    assert (
        request.content == json.dumps(PAYLOAD, separators=(",", ":"), ensure_ascii=False).encode()
    )
    assert json.loads(request.content) == PAYLOAD
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Idempotency-Key"] == "cart-demo_shop-c1:run-1:steps[2]"
    assert request.headers["X-Cartnudge-Timestamp"] == "1800000000"
    assert verifies(SECRET, "1800000000", request.content, request.headers["X-Cartnudge-Signature"])


async def test_a_tampered_body_or_a_wrong_secret_does_not_verify() -> None:
    fake = FakeApi(httpx.Response(200))
    await send(fake)
    request = fake.request
    signature = request.headers["X-Cartnudge-Signature"]

    tampered = request.content.replace(b'"c1"', b'"c2"')
    assert tampered != request.content
    assert not verifies(SECRET, "1800000000", tampered, signature)
    assert not verifies(SECRET, "1800000001", request.content, signature)
    assert not verifies("another-secret", "1800000000", request.content, signature)


async def test_a_receipt_header_from_the_receiver_is_the_message_id() -> None:
    assert await send(FakeApi(httpx.Response(202, headers={"X-Request-Id": "crm-77"}))) == "crm-77"


async def test_a_slack_target_gets_the_staff_alert_unsigned() -> None:
    fake = FakeApi(httpx.Response(200, text="ok"))

    await send(fake, "staff")

    request = fake.request
    assert str(request.url) == "https://hooks.slack.test/services/T0/B0/XyZ"
    assert json.loads(request.content) == slack_message(PAYLOAD)
    assert "X-Cartnudge-Signature" not in request.headers


async def test_an_unknown_target_is_refused_by_name_without_a_request() -> None:
    fake = FakeApi(httpx.Response(200))
    with pytest.raises(PermanentChannelError, match="webhook target 'erp' is not configured"):
        await send(fake, "erp")
    assert fake.requests == []


async def test_a_json_target_without_secret_is_refused() -> None:
    fake = FakeApi(httpx.Response(200))
    with pytest.raises(PermanentChannelError, match="webhook target 'unsigned' has no secret"):
        await send(fake, "unsigned")
    assert fake.requests == []


def test_receivers_deduplicate_so_a_repeat_is_harmless() -> None:
    assert WebhookSender.repeat_is_harmless is True


async def test_a_receiver_refusing_the_step_is_permanent() -> None:
    with pytest.raises(PermanentChannelError, match="unknown shop"):
        await send(FakeApi(httpx.Response(400, text="unknown shop")))


async def test_errors_name_the_target_not_its_secret_url() -> None:
    with pytest.raises(PermanentChannelError) as raised:
        await send(FakeApi(httpx.Response(404, text="no_service")), "staff")
    assert str(raised.value) == "webhook staff: HTTP 404: no_service"
