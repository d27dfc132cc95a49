"""The send activity speaks for the shop: its sender identity, its timezone for quiet hours.

A shop without a row in `shops` (or without `email_from`) gets the settings' values.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.factories import add_shop, make_cart, make_customer
from tests.support.messaging import SendActivity, send_activity, send_request
from tests.support.smtp import SmtpServer
from workflows.payloads import MessageStatus, QuietWindow

SETTINGS_MAIL_FROM = "cartnudge <shop@localhost>"
NIGHT = QuietWindow(start="21:00", end="09:00")
# 13:00 UTC: afternoon in UTC and Istanbul (16:00), night in Tokyo (22:00).
DUE = datetime(2026, 11, 22, 13, 0, tzinfo=UTC)
TOKYO_MORNING = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)  # 09:00 in Tokyo


def shop_sends(
    session_factory: async_sessionmaker[AsyncSession], smtp_url: str, settings_timezone: str
) -> SendActivity:
    """The send activity with the settings' sender and timezone, for shops without their own."""
    return send_activity(
        session_factory,
        smtp_url=smtp_url,
        mail_from=SETTINGS_MAIL_FROM,
        shop_timezone=settings_timezone,
    )


def at_night_in_tokyo(customer_timezone: str | None) -> Any:
    cart = make_cart(customer=make_customer(timezone=customer_timezone))
    return send_request(cart=cart, due_at=DUE, quiet_hours=NIGHT)


# --- the From of the shop's emails ------------------------------------------------------------


async def test_the_email_comes_from_the_shop_that_sends_it(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    shop_from = "Koşu Dükkanı <merhaba@kosu.example>"
    await add_shop(session_factory, shop="demo_shop", key=None, email_from=shop_from)

    activities = shop_sends(session_factory, smtp_server.url, "UTC")
    result = await activities.send(send_request())

    assert result.status == MessageStatus.SENT
    [email] = await smtp_server.wait_for_messages(1)
    assert str(email["From"]) == shop_from


async def test_a_shop_without_its_own_sender_sends_from_the_settings_address(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, email_from=None)
    await add_shop(session_factory, shop="other_shop", key=None, email_from="Other <o@x.example>")

    activities = shop_sends(session_factory, smtp_server.url, "UTC")
    await activities.send(send_request())

    [email] = await smtp_server.wait_for_messages(1)
    assert str(email["From"]) == SETTINGS_MAIL_FROM


# --- quiet hours: the customer's timezone, else the shop's, else the settings' -----------------


async def test_quiet_hours_use_the_shops_timezone_when_the_customer_has_none(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, timezone="Asia/Tokyo")
    activities = shop_sends(session_factory, smtp_server.url, "UTC")

    result = await activities.send(at_night_in_tokyo(customer_timezone=None))

    assert result.status == MessageStatus.DEFERRED
    assert result.retry_at == TOKYO_MORNING
    assert result.reason is not None and "in Asia/Tokyo" in result.reason
    assert smtp_server.messages == []


async def test_the_customers_own_timezone_wins_over_the_shops(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, timezone="Asia/Tokyo")
    activities = shop_sends(session_factory, smtp_server.url, "UTC")

    result = await activities.send(at_night_in_tokyo(customer_timezone="Europe/Istanbul"))

    assert result.status == MessageStatus.SENT  # 16:00 for the customer
    assert len(await smtp_server.wait_for_messages(1)) == 1


async def test_a_shop_without_a_row_falls_back_to_the_settings_timezone(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    activities = shop_sends(session_factory, smtp_server.url, "Asia/Tokyo")

    result = await activities.send(at_night_in_tokyo(customer_timezone=None))

    assert (result.status, result.retry_at) == (MessageStatus.DEFERRED, TOKYO_MORNING)


async def test_the_shops_timezone_replaces_the_settings_one(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    await add_shop(session_factory, shop="demo_shop", key=None, timezone="Europe/Istanbul")
    activities = shop_sends(session_factory, smtp_server.url, "Asia/Tokyo")

    result = await activities.send(at_night_in_tokyo(customer_timezone=None))

    assert result.status == MessageStatus.SENT  # 16:00 in Istanbul, though night in Tokyo
