"""Shopify's webhooks: checkouts become cart snapshots, orders end their cart's journey.

No API key: X-Shopify-Shop-Domain names the shop (storage.shops.shop_for_shopify_domain)
and X-Shopify-Hmac-Sha256 must be that shop's webhook secret's signature of the raw body.
An unknown domain, a shop without a secret, or a missing or wrong signature gets a 401 and
changes nothing. Topics we do not use get a 200 and are ignored.

Shopify delivers at least once and retries until it gets a 2xx: a redelivered
X-Shopify-Webhook-Id is answered `duplicate`. The id is noted only after the event was
handed over, so a delivery that failed half-way (a 503, a crash) is handled in full when
Shopify retries it.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Request, status
from fastapi.exceptions import RequestValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import CipherDep, SessionsDep, SettingsDep, TemporalDep
from api.errors import error_response
from api.platforms import (
    Ignored,
    MappingError,
    PlatformCart,
    ShopDefaults,
    WebhookAnswer,
    parse_json,
    shopify,
)
from api.webhook_signatures import verify_shopify
from contract.carts import CartAccepted
from contract.orders import OrderAccepted, OrderIn
from data_at_rest.cipher import DataCipher
from intake.carts import take_cart
from intake.deliveries import once_per_delivery
from intake.orders import take_order
from intake.shops import shop_of_shopify_domain
from storage.shops import ShopProfile

log = logging.getLogger("cartnudge.api")
router = APIRouter(prefix="/webhooks", tags=["webhooks"])

PROVIDER = "shopify"
IGNORED = "ignored"
DUPLICATE = "duplicate"


async def verified_shop(
    sessions: async_sessionmaker[AsyncSession],
    *,
    cipher: DataCipher,
    domain: str | None,
    signature: str | None,
    body: bytes,
) -> ShopProfile:
    """The shop whose Shopify secret signed the body; 401 for any other call."""
    shop = (
        await shop_of_shopify_domain(domain, sessions=sessions, cipher=cipher) if domain else None
    )
    if shop is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, f"no shop is connected to Shopify domain {domain!r}"
        )
    if not shop.shopify_secret:
        log.warning("shopify webhook for shop %s, which has no shopify secret", shop.shop)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"shop {shop.shop!r} has no Shopify webhook secret configured",
        )
    if signature is None or not verify_shopify(shop.shopify_secret, body=body, signature=signature):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "missing or wrong X-Shopify-Hmac-Sha256")
    return shop


def read_event(topic: str, body: bytes, shop: ShopProfile) -> PlatformCart | OrderIn | Ignored:
    """The webhook's event in our terms; RequestValidationError (422) when it can not be."""
    defaults = ShopDefaults(
        shop=shop.shop, locale=shop.locale, currency=shop.currency, timezone=shop.timezone
    )
    try:
        payload = parse_json(body)
        if topic in shopify.CHECKOUT_TOPICS:
            return shopify.checkout_cart(payload, defaults)
        return shopify.order(payload, defaults)
    except MappingError as err:
        log.info("shopify %s for shop %s can not be read: %s", topic, shop.shop, err)
        raise RequestValidationError(err.request_errors()) from None


@router.post(
    "/shopify",
    responses={
        401: error_response("Unknown shop, no secret, or a bad signature"),
        422: error_response("A payload we can not read; `errors` name it"),
        503: error_response(
            "Temporal or the database is down, or the shop's secret can not be decrypted;"
            " Shopify retries",
            retry=True,
        ),
    },
)
async def shopify_webhook(
    request: Request,
    settings: SettingsDep,
    sessions: SessionsDep,
    cipher: CipherDep,
    temporal: TemporalDep,
    topic: Annotated[str | None, Header(alias="X-Shopify-Topic")] = None,
    domain: Annotated[str | None, Header(alias="X-Shopify-Shop-Domain")] = None,
    signature: Annotated[str | None, Header(alias="X-Shopify-Hmac-Sha256")] = None,
    webhook_id: Annotated[str | None, Header(alias="X-Shopify-Webhook-Id")] = None,
) -> WebhookAnswer:
    """Take a Shopify checkout or order webhook: the cart's journey starts, updates or ends."""
    body = await request.body()
    shop = await verified_shop(
        sessions, cipher=cipher, domain=domain, signature=signature, body=body
    )
    if topic not in shopify.CHECKOUT_TOPICS | shopify.ORDER_TOPICS:
        return WebhookAnswer(status=IGNORED, reason=f"topic {topic!r} is not one cartnudge uses")
    event = read_event(topic, body, shop)
    if isinstance(event, Ignored):
        log.info("shopify %s for shop %s ignored: %s", topic, shop.shop, event.reason)
        return WebhookAnswer(status=IGNORED, reason=event.reason)

    async def take() -> CartAccepted | OrderAccepted:
        if isinstance(event, PlatformCart):
            return await take_cart(
                cart_id=event.cart_id,
                snapshot=event.snapshot,
                settings=settings,
                sessions=sessions,
                temporal=temporal,
            )
        return await take_order(event, sessions=sessions, temporal=temporal)

    # Shopify sends the id with every delivery; without one, the intake's idempotence suffices.
    accepted = await once_per_delivery(
        take,
        source=PROVIDER,
        delivery_id=f"{shop.shopify_domain}:{webhook_id}" if webhook_id else None,
        sessions=sessions,
    )
    if accepted is None:
        return WebhookAnswer(status=DUPLICATE)  # a redelivery: handled before
    return WebhookAnswer(status=accepted.status.value, workflow_id=accepted.workflow_id)
