"""Each HTTP provider's sender, built as its tests build it, with one message to send.

The provider test files send through these; tests/channels/test_failure_classes.py runs
the failures every HTTP provider must classify alike against all of them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from pydantic import SecretStr

from channels.netgsm import NetgsmSender
from channels.outgoing import EmailOut, SmsOut, WebhookOut
from channels.postmark import PostmarkSender
from channels.sendgrid import SendgridSender
from channels.twilio import TwilioSender
from channels.webhook import WebhookSender
from settings import WebhookTarget
from tests.channels import FakeApi, journey_step_payload, make_email

SENDGRID_URL = "https://sendgrid.test"
WEBHOOK_SECRET = "whsec-0123456789"
WEBHOOK_NOW = 1_800_000_000.9
WEBHOOK_TARGETS = {
    "crm": WebhookTarget(url="https://crm.test/hooks/cartnudge", secret=SecretStr(WEBHOOK_SECRET)),
    "staff": WebhookTarget(url="https://hooks.slack.test/services/T0/B0/XyZ", format="slack"),
    "unsigned": WebhookTarget(url="https://other.test/hook"),
}
WEBHOOK_PAYLOAD = journey_step_payload()
TWILIO_SMS = SmsOut(
    idempotency_key="cart-demo_shop-c1:run-1:steps[1]",
    to="+905321234567",
    body="Sepetiniz sizi bekliyor: https://cartnudge.test/l/x  IPTAL yazin 3434",
)
NETGSM_SMS = SmsOut(
    idempotency_key="cart-demo_shop-c1:run-1:steps[1]",
    to="+905321234567",
    body="Sepetinizdeki ürünler tükenmeden: https://cartnudge.test/l/x  IPTAL yazın 3434",
)


def webhook_step(target: str = "crm") -> WebhookOut:
    return WebhookOut(
        idempotency_key=WEBHOOK_PAYLOAD["idempotency_key"], target=target, payload=WEBHOOK_PAYLOAD
    )


async def send_sendgrid(fake: FakeApi, message: EmailOut | None = None) -> str:
    async with fake.client() as client:
        sender = SendgridSender(client=client, api_key="SG.key", api_url=SENDGRID_URL + "/")
        return await sender.send(message or make_email())


async def send_postmark(fake: FakeApi, message: EmailOut | None = None) -> str:
    async with fake.client() as client:
        sender = PostmarkSender(
            client=client, server_token="pm-token", api_url="https://postmark.test"
        )
        return await sender.send(message or make_email())


async def send_twilio(
    fake: FakeApi, *, sender: str = "+15005550006", callback: str | None = None
) -> str:
    async with fake.client() as client:
        twilio = TwilioSender(
            client=client,
            account_sid="AC123",
            auth_token="tw-token",
            sender=sender,
            api_url="https://twilio.test",
            status_callback_url=callback,
        )
        return await twilio.send(TWILIO_SMS)


async def send_netgsm(fake: FakeApi) -> str:
    async with fake.client() as client:
        netgsm = NetgsmSender(
            client=client,
            usercode="8501234567",
            password="ng-pass",
            header="KOSUDUKKAN",
            api_url="https://netgsm.test",
        )
        return await netgsm.send(NETGSM_SMS)


async def send_webhook(fake: FakeApi, target: str = "crm") -> str:
    async with fake.client() as client:
        sender = WebhookSender(WEBHOOK_TARGETS, client, clock=lambda: WEBHOOK_NOW)
        return await sender.send(webhook_step(target))


# provider -> send one message through a FakeApi, as that provider's tests do
HTTP_SENDERS: dict[str, Callable[[FakeApi], Awaitable[str]]] = {
    "sendgrid": send_sendgrid,
    "postmark": send_postmark,
    "twilio": send_twilio,
    "netgsm": send_netgsm,
    "webhook": send_webhook,
}
