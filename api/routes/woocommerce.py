"""WooCommerce's order webhooks: a paid order ends its cart's journey.

Carts come through PUT /v1/carts (the shop's plugin sends them with its API key); orders
come through the store's own webhooks, one delivery URL per shop:
`/webhooks/woocommerce/{shop}`. Every delivery carries X-WC-Webhook-Signature, the base64
HMAC-SHA256 of the raw body with the webhook's secret, which must be the shop's
woocommerce_secret. The one unsigned call is WooCommerce's ping when a webhook is saved
(form body `webhook_id=N`): it gets a 200, so WooCommerce accepts the URL. An unknown
shop, a shop without a secret, or a missing or wrong signature gets a 401.

No deduplication table: an order is recorded once per order id (intake.orders.take_order),
so a repeated delivery changes nothing.
"""

from __future__ import annotations

import logging
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Header, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError

from api.deps import CipherDep, SessionsDep, TemporalDep
from api.errors import error_response
from api.platforms import Ignored, MappingError, ShopDefaults, WebhookAnswer, parse_json
from api.platforms import woocommerce as woo
from api.webhook_signatures import verify_woocommerce
from contract.fields import ShopId
from intake.orders import take_order
from intake.shops import shop_named

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

IGNORED = "ignored"
PING = "ping"


def is_ping(body: bytes) -> bool:
    """Whether the body is WooCommerce's ping: exactly `webhook_id=<number>`."""
    try:
        fields = parse_qsl(body.decode("ascii"), strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return False
    return len(fields) == 1 and fields[0][0] == "webhook_id" and fields[0][1].isdigit()


@router.post(
    "/woocommerce/{shop}",
    responses={
        401: error_response("Unknown shop, no secret, or a bad signature"),
        422: error_response("A payload we can not read; `errors` name it"),
        503: error_response(
            "Temporal or the database is down, or the shop's secret can not be decrypted",
            retry=True,
        ),
    },
)
async def woocommerce_webhook(
    shop: Annotated[ShopId, Path(description="The shop's id in cartnudge")],
    request: Request,
    sessions: SessionsDep,
    cipher: CipherDep,
    temporal: TemporalDep,
    topic: Annotated[str | None, Header(alias="X-WC-Webhook-Topic")] = None,
    signature: Annotated[str | None, Header(alias="X-WC-Webhook-Signature")] = None,
) -> WebhookAnswer:
    """Take a WooCommerce order webhook: a paid order ends its cart's journey."""
    profile = await shop_named(shop, sessions=sessions, cipher=cipher)
    if profile is None:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, f"no shop {shop!r}")
    if not profile.woocommerce_secret:
        log.warning("woocommerce webhook for shop %s, which has no woocommerce secret", shop)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"shop {shop!r} has no WooCommerce webhook secret configured",
        )
    body = await request.body()
    if signature is None and is_ping(body):
        return WebhookAnswer(status=PING)
    if signature is None or not verify_woocommerce(
        profile.woocommerce_secret, body=body, signature=signature
    ):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-WC-Webhook-Signature")
    if topic not in woo.ORDER_TOPICS:
        return WebhookAnswer(status=IGNORED, reason=f"topic {topic!r} is not one cartnudge uses")
    defaults = ShopDefaults(
        shop=shop, locale=profile.locale, currency=profile.currency, timezone=profile.timezone
    )
    try:
        event = woo.order(parse_json(body), defaults)
    except MappingError as err:
        log.info("woocommerce %s for shop %s can not be read: %s", topic, shop, err)
        raise RequestValidationError(err.request_errors()) from None
    if isinstance(event, Ignored):
        log.info("woocommerce %s for shop %s ignored: %s", topic, shop, event.reason)
        return WebhookAnswer(status=IGNORED, reason=event.reason)
    accepted = await take_order(event, sessions=sessions, temporal=temporal)
    return WebhookAnswer(status=accepted.status.value, workflow_id=accepted.workflow_id)
