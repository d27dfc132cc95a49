"""The send activity's coupons, against a real SMTP server and database, the platforms
faked at the HTTP transport: one code per step however often retried, only for customers
we message, and what the step says when no code can be made."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.exceptions import ApplicationError

from contract.carts import Consent
from coupons.issuing import CouponIssuer
from devstack.processes import free_port
from journey_schema.models import JourneyVersion
from journey_schema.release import Release, release_id
from observability.runtime import worker_runtime
from storage import coupons
from storage.models import ContactCap, Coupon, Message
from storage.shops import ShopProfile
from tests.factories import add_shop, make_cart, make_customer
from tests.support.coupon_platforms import (
    SHOPIFY_DOMAIN,
    WOO_URL,
    FakeShopify,
    FakeWooCommerce,
)
from tests.support.messaging import LINKS, SendActivity, send_activity, send_request
from tests.support.metrics import scrape, value
from tests.support.smtp import SmtpServer, body_text
from tests.support.temporal import settings_for_tests
from workflows.payloads import Channel, MessageStatus, SendRequest

_LAYOUT_HTML = '{{ body }}<img src="{{ open_pixel_url }}"><a href="{{ unsubscribe_url }}">u</a>'
OFFER_TEMPLATES = {
    "offer/en.subject": "{{ coupon.value }} off, only for you",
    "offer/en.html": _LAYOUT_HTML.replace("{{ body }}", "<p>Code {{ coupon.code }}</p>"),
    "offer/en.txt": "Code {{ coupon.code }} until {{ coupon.expires_at }}\n{{ unsubscribe_url }}",
    "maybe/en.subject": "Still thinking?",
    "maybe/en.html": _LAYOUT_HTML.replace(
        "{{ body }}", "{% if coupon %}<p>Code {{ coupon.code }}</p>{% endif %}"
    ),
    "maybe/en.txt": "{% if coupon %}Code {{ coupon.code }}\n{% endif %}Your cart\n"
    "{{ unsubscribe_url }}",
}
OFFER_JOURNEY = JourneyVersion.model_validate(
    {
        "journey": "abandoned_cart",
        "version": 9,
        "trigger": {"inactivity": "1h"},
        "steps": [
            {"send": {"template": "offer", "id": "o1", "coupon": {"percent": 10, "valid": "48h"}}},
            {
                "send": {
                    "template": "maybe",
                    "id": "o2",
                    "coupon": {"amount": "50.00", "valid": "3d"},
                    "on_coupon_failure": "send_without",
                }
            },
        ],
    }
)
OFFER_RELEASE = Release(
    id=release_id(OFFER_JOURNEY, OFFER_TEMPLATES),
    definition=OFFER_JOURNEY,
    templates=OFFER_TEMPLATES,
)


def offer_request(step: str = "steps[0]", **overrides: Any) -> SendRequest:
    message_id, template = ("o1", "offer") if step == "steps[0]" else ("o2", "maybe")
    values: dict[str, Any] = {
        "release_id": OFFER_RELEASE.id,
        "step": step,
        "message_id": message_id,
        "template": template,
        "version": 9,
    }
    return send_request(**{**values, **overrides})


def activity(
    sessions: async_sessionmaker[AsyncSession],
    smtp: SmtpServer,
    client: httpx.AsyncClient | None = None,
    **options: Any,
) -> SendActivity:
    issuer = CouponIssuer(session_factory=sessions, client=client, secret=LINKS.secret)
    return send_activity(
        sessions, smtp_url=smtp.url, release=OFFER_RELEASE, coupons=issuer, **options
    )


async def shopify_shop(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_shop(
        sessions,
        shop="demo_shop",
        key=None,
        coupon_source="shopify",
        shopify_domain=SHOPIFY_DOMAIN,
        shopify_admin_token="shpat_test",
    )


async def coupon_rows(sessions: async_sessionmaker[AsyncSession]) -> list[Coupon]:
    async with sessions() as session:
        return list((await session.scalars(select(Coupon))).all())


async def test_a_crash_mid_creation_is_retried_into_one_code_that_the_email_carries(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shopify_shop(session_factory)
    shopify = FakeShopify(fail_after_create=1)  # made in Shopify, the answer lost
    send = activity(session_factory, smtp_server, shopify.client())

    with pytest.raises(ApplicationError):
        await send.send(offer_request())
    [claimed] = await coupon_rows(session_factory)
    assert claimed.state == "claimed"
    result = await send.send(offer_request(), attempt=2, retried_for=timedelta(seconds=10))

    assert result.status == MessageStatus.SENT
    [code] = shopify.codes
    [email] = await smtp_server.wait_for_messages(1)
    assert f"Code {code}" in body_text(email, "plain")
    assert str(email["Subject"]) == "%10 off, only for you"  # Turkish: the sign first
    [row] = await coupon_rows(session_factory)
    assert (row.code, row.state, row.source) == (code, "issued", "shopify")
    assert row.platform_ref == "gid://shopify/DiscountCodeNode/1000"

    again = await send.send(offer_request(), attempt=3)  # the SENT answer lost, too
    assert again.status == MessageStatus.SENT
    assert len(smtp_server.messages) == 1
    assert len(shopify.codes) == 1


async def test_a_code_made_once_is_counted_issued_once_however_often_the_send_is_retried(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    """The marketer's "coupons issued" (Grafana) counts codes, not send attempts: the code
    is made, the mail server is down, the retry sends the same code."""
    address = f"127.0.0.1:{free_port()}"
    runtime = worker_runtime(settings_for_tests(worker_metrics_address=address))
    await shopify_shop(session_factory)
    shopify = FakeShopify()
    nobody_listening = f"smtp://127.0.0.1:{free_port()}"
    down = send_activity(
        session_factory,
        smtp_url=nobody_listening,
        release=OFFER_RELEASE,
        coupons=CouponIssuer(
            session_factory=session_factory, client=shopify.client(), secret=LINKS.secret
        ),
    )
    up = activity(session_factory, smtp_server, shopify.client())
    down.metric_meter = up.metric_meter = runtime.metric_meter

    with pytest.raises(ApplicationError):  # the code made, the email not taken
        await down.send(offer_request())
    result = await up.send(offer_request(), attempt=2, retried_for=timedelta(seconds=10))
    async with httpx.AsyncClient() as http:
        families = scrape((await http.get(f"http://{address}/metrics")).text)

    assert result.status == MessageStatus.SENT and len(shopify.codes) == 1
    issued = value(families, "cartnudge_coupon_issues_total", source="shopify", result="issued")
    assert issued == 1


async def test_a_refused_code_skips_the_step_and_gives_the_cap_slot_back(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shopify_shop(session_factory)
    errors = [{"field": ["basicCodeDiscount"], "code": "INVALID", "message": "Discount invalid"}]
    payload = {"codeDiscountNode": None, "userErrors": errors}
    shopify = FakeShopify(
        answer=httpx.Response(200, json={"data": {"discountCodeBasicCreate": payload}})
    )
    send = activity(
        session_factory, smtp_server, shopify.client(), caps={Channel.EMAIL: timedelta(hours=24)}
    )

    result = await send.send(offer_request())

    assert result.status == MessageStatus.SKIPPED
    assert result.reason == "no coupon: Shopify refused the code: Discount invalid"
    assert smtp_server.messages == []
    async with session_factory() as session:
        assert (await session.scalars(select(ContactCap))).all() == []
        [message] = (await session.scalars(select(Message))).all()
    assert (message.status, message.reason) == ("skipped", result.reason)
    [row] = await coupon_rows(session_factory)
    assert (row.state, row.failure) == ("failed", "Shopify refused the code: Discount invalid")


async def test_send_without_sends_the_message_without_a_code(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, coupon_source="pool")

    result = await activity(session_factory, smtp_server).send(offer_request("steps[1]"))

    assert result.status == MessageStatus.SENT
    [email] = await smtp_server.wait_for_messages(1)
    text = body_text(email, "plain")
    assert "Your cart" in text and "Code" not in text


async def test_a_pool_code_goes_out_and_a_retry_keeps_it(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, coupon_source="pool")
    async with session_factory() as session:
        await coupons.import_pool_codes(session, shop="demo_shop", codes=["POOL-1", "POOL-2"])
        await session.commit()
    send = activity(session_factory, smtp_server)

    result = await send.send(offer_request("steps[1]"))
    await send.send(offer_request("steps[1]"), attempt=2)

    assert result.status == MessageStatus.SENT
    [email] = await smtp_server.wait_for_messages(1)
    assert "Code POOL-1" in body_text(email, "plain")
    async with session_factory() as session:
        assert await coupons.pool_counts(session, shop="demo_shop") == (1, 1)


async def test_a_platform_asking_to_wait_is_retried_then_given_up_on_as_the_step_says(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shopify_shop(session_factory)
    shopify = FakeShopify(answer=httpx.Response(429, headers={"Retry-After": "7"}, json={}))
    send = activity(session_factory, smtp_server, shopify.client())

    with pytest.raises(ApplicationError) as raised:
        await send.send(offer_request())
    assert raised.value.next_retry_delay == timedelta(seconds=7)

    late = await send.send(offer_request(), attempt=60, retried_for=timedelta(hours=6))

    assert late.status == MessageStatus.SKIPPED
    assert late.reason is not None
    assert late.reason.startswith("no coupon: gave up after 6h: Shopify: HTTP 429")
    assert smtp_server.messages == []


async def test_no_code_is_made_for_a_customer_we_do_not_message(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shopify_shop(session_factory)
    shopify = FakeShopify()
    no_consent = make_cart(customer=make_customer(consent=Consent(email=False)))

    result = await activity(session_factory, smtp_server, shopify.client()).send(
        offer_request(cart=no_consent)
    )

    assert result.status == MessageStatus.SKIPPED
    assert shopify.requests == []
    assert await coupon_rows(session_factory) == []


async def test_woocommerce_makes_the_code_for_the_customers_email(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(
        session_factory,
        shop="demo_shop",
        key=None,
        coupon_source="woocommerce",
        woocommerce_url=WOO_URL,
        woocommerce_consumer_key="ck_test",
        woocommerce_consumer_secret="cs_test",
    )
    woo = FakeWooCommerce()

    result = await activity(session_factory, smtp_server, woo.client()).send(offer_request())

    assert result.status == MessageStatus.SENT
    [coupon] = woo.coupons.values()
    assert coupon["email_restrictions"] == ["ayse@example.com"]
    [email] = await smtp_server.wait_for_messages(1)
    [row] = await coupon_rows(session_factory)
    assert f"Code {row.code}" in body_text(email, "plain")
    assert coupon["code"] == row.code.lower()


async def test_a_shop_without_a_coupon_source_skips_with_the_command_to_configure_it(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None)

    result = await activity(session_factory, smtp_server).send(offer_request())

    assert result.status == MessageStatus.SKIPPED
    assert result.reason is not None
    assert result.reason.startswith("no coupon: shop demo_shop has no coupon source configured")
    assert "cartnudge shops update demo_shop --coupon-source pool" in result.reason


async def test_an_amount_off_is_never_offered_in_another_currency_than_the_shops(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shopify_shop(session_factory)  # a TRY shop: Shopify takes 50.00 off in lira
    shopify = FakeShopify()
    euro_cart = make_cart(currency="EUR")

    # steps[1] offers 50.00 off and says send_without
    result = await activity(session_factory, smtp_server, shopify.client()).send(
        offer_request("steps[1]", cart=euro_cart)
    )

    assert result.status == MessageStatus.SENT
    [email] = await smtp_server.wait_for_messages(1)
    assert "Code " not in body_text(email, "plain")
    assert shopify.requests == []  # asked for nothing it would apply in the wrong currency
    assert await coupon_rows(session_factory) == []  # nor claimed one


def test_a_shops_secrets_never_show_in_its_repr() -> None:
    profile = ShopProfile(
        shop="demo_shop",
        name="Demo",
        timezone="Europe/Istanbul",
        locale="tr-TR",
        currency="TRY",
        email_from=None,
        shopify_domain=SHOPIFY_DOMAIN,
        shopify_secret="whsec_visible?",
        woocommerce_secret=None,
        order_lookup_url=None,
        order_lookup_token="olt_visible?",
        shopify_admin_token="shpat_visible?",
    )

    assert "visible?" not in repr(profile)
    assert "demo_shop" in repr(profile)
