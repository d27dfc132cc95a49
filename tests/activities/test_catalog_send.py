"""The send activity with the shop's catalog: the email shows the items as they are now
(a price drop, low stock by the journey's threshold, out of stock), and a catalog that is
down never holds the message nor makes up values. The catalog is faked at the HTTP
transport; the database and the SMTP server are real."""

from __future__ import annotations

import logging
from decimal import Decimal

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.lookup import CatalogLookup
from journey_schema.release import Release, release_id
from rendering.formatting import format_money
from tests.factories import add_shop, make_cart, make_item
from tests.support.catalogs import CatalogServer, answering
from tests.support.messaging import TEST_RELEASE, send_activity, send_request
from tests.support.smtp import SmtpServer, body_text
from workflows.payloads import MessageStatus

CATALOG_URL = "https://shop.example/cartnudge/catalog"
# One "|"-ended entry per item (the environment trims whitespace around blocks).
ITEMS = (
    "{% for item in items %}{{ item.sku }}: {{ item.unit_price }}"
    "{% if item.price_dropped %} (was {{ item.snapshot_price }}){% endif %}"
    "{% if not item.in_stock %} [sold out]{% elif item.low_stock %} [only a few left]{% endif %}"
    "|{% endfor %}"
)


def items_release(low_stock_below: int) -> Release:
    """The test release with a reminder that lists the items, and this low stock threshold."""
    definition = TEST_RELEASE.definition.model_copy(update={"low_stock_below": low_stock_below})
    templates = {
        **TEST_RELEASE.templates,
        "reminder/tr.txt": ITEMS,
        "reminder/tr.html": "<pre>" + ITEMS + "</pre>",
    }
    return Release(id=release_id(definition, templates), definition=definition, templates=templates)


def lira(amount: str) -> str:
    return format_money(Decimal(amount), "TRY", "tr-TR")


CART = make_cart(
    items=[
        make_item(sku="SHOES", unit_price=Decimal("1299.90")),
        make_item(sku="SOCKS", name="Çorap", unit_price=Decimal("89.50")),
        make_item(sku="CAP", name="Şapka", unit_price=Decimal("150.00")),
        make_item(sku="BOTTLE", name="Şişe", unit_price=Decimal("60.00")),
    ]
)
CATALOG = {
    "products": [
        {"sku": "SHOES", "price": "999.90", "compare_at_price": "1299.90", "in_stock": True},
        {"sku": "SOCKS", "price": "89.50", "in_stock": True, "inventory": 2},
        {"sku": "CAP", "price": "150.00", "in_stock": True, "inventory": 3},
        {"sku": "BOTTLE", "price": "60.00", "in_stock": False, "inventory": 0},
    ]
}


async def shop_with_catalog(sessions: async_sessionmaker[AsyncSession]) -> None:
    await add_shop(
        sessions, shop="demo_shop", key=None, catalog_source="endpoint", catalog_url=CATALOG_URL
    )


async def sent_text(
    sessions: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    catalog: CatalogServer,
    *,
    low_stock_below: int = 3,
) -> str:
    release = items_release(low_stock_below)
    activity = send_activity(
        sessions,
        smtp_url=smtp_server.url,
        catalog=CatalogLookup(catalog.client()),
        release=release,
    )

    result = await activity.send(send_request(cart=CART, release_id=release.id))

    assert result.status == MessageStatus.SENT  # on the first attempt, catalog or not
    [email] = await smtp_server.wait_for_messages(1)
    return body_text(email, "plain")


def entries(text: str) -> list[str]:
    return [entry.strip() for entry in text.split("|")][:-1]


async def test_the_email_shows_the_current_price_low_stock_and_what_is_sold_out(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shop_with_catalog(session_factory)
    catalog = answering(json=CATALOG)

    text = await sent_text(session_factory, smtp_server, catalog, low_stock_below=3)

    assert catalog.requests[0].url.params["skus"] == "SHOES,SOCKS,CAP,BOTTLE"
    assert entries(text) == [
        f"SHOES: {lira('999.90')} (was {lira('1299.90')})",
        f"SOCKS: {lira('89.50')} [only a few left]",  # 2 < 3, the journey's threshold
        f"CAP: {lira('150.00')}",  # 3 is not below 3
        f"BOTTLE: {lira('60.00')} [sold out]",
    ]


async def test_the_journeys_low_stock_threshold_decides_what_is_low(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shop_with_catalog(session_factory)

    text = await sent_text(session_factory, smtp_server, answering(json=CATALOG), low_stock_below=5)

    assert f"CAP: {lira('150.00')} [only a few left]" in entries(text)


@pytest.mark.parametrize(
    "catalog",
    [
        answering(503, text="maintenance"),
        answering(json={"products": [{"sku": "SHOES", "price": "1.00", "in_stock": "yes"}]}),
    ],
    ids=["down", "garbage"],
)
async def test_a_catalog_that_fails_leaves_the_snapshot_and_a_log_line(
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    catalog: CatalogServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await shop_with_catalog(session_factory)

    with caplog.at_level(logging.WARNING):
        text = await sent_text(session_factory, smtp_server, catalog)

    assert entries(text) == [
        f"SHOES: {lira('1299.90')}",
        f"SOCKS: {lira('89.50')}",
        f"CAP: {lira('150.00')}",
        f"BOTTLE: {lira('60.00')}",
    ]
    [line] = [r.getMessage() for r in caplog.records if r.name == "cartnudge.catalog"]
    assert line.startswith("catalog of shop demo_shop (endpoint) failed: catalog endpoint at")
    assert "the cart snapshot's data" in line
    assert "ayse" not in caplog.text.lower()  # no customer data in any log line


async def test_a_catalog_that_does_not_connect_never_holds_the_message(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await shop_with_catalog(session_factory)

    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    text = await sent_text(session_factory, smtp_server, CatalogServer(refused))

    assert entries(text)[0] == f"SHOES: {lira('1299.90')}"


async def test_a_shop_without_a_catalog_is_not_asked(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None)
    catalog = answering(json=CATALOG)

    text = await sent_text(session_factory, smtp_server, catalog)

    assert catalog.requests == []
    assert entries(text)[0] == f"SHOES: {lira('1299.90')}"
