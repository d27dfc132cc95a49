"""A marketer logs in through the form in Chromium and reads a journey's numbers: those
the database holds for their shop, carts recorded as a running deployment records them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from fastapi import FastAPI
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reports.journey_report import journey_report
from settings import Settings
from storage.models import EngagementEvent, JourneyEntryRow, Message, Order
from tests.dashboard.conftest import OTHER_SHOP
from tests.dashboard.recorded_carts import Shopper, record_carts, send_step
from tests.support.api import SHOP, served
from tests.support.dashboard import PASSWORD, add_dashboard_user
from tests.support.journey_data import publish_release
from tests.support.tables import rows

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # ignored by git
EMAIL = "ana@shop.example"


def shoppers(now: datetime) -> list[Shopper]:
    """60 carts split between the arms, 8 held out, their windows closed; one more still in
    its window; and 5 of another shop, not Ana's."""
    start = now - timedelta(days=10)
    carts = [
        Shopper(
            f"help-{n}", "help", start + timedelta(minutes=n),
            opened=n < 15, machine_opened=15 <= n < 22, clicked=n < 8,
            bought=Decimal(f"{150 + 10 * n}.90") if n < 12 else None,
            # coupons for 0 and 1, who bought with them, and 20, who did not buy
            coupon_discount=Decimal(f"{15 + n}.00") if n in (0, 1, 20) else None,
        )
        for n in range(30)
    ]  # fmt: skip
    carts += [
        Shopper(
            f"scarcity-{n}", "scarcity", start + timedelta(minutes=n, seconds=30),
            opened=n < 10, clicked=n < 3, bought=Decimal("99.50") if n < 6 else None,
        )
        for n in range(30)
    ]  # fmt: skip
    carts += [
        Shopper(f"held-{n}", None, start - timedelta(hours=n + 1),
                bought=Decimal("120.00") if n == 0 else None)
        for n in range(8)
    ]  # fmt: skip
    carts += [
        Shopper(f"theirs-{n}", "help", start, opened=True, bought=Decimal("5000"), shop=OTHER_SHOP)
        for n in range(5)
    ]
    # the latest cart to enter, bought: the first of the recent carts
    carts.append(Shopper("latest", "help", now - timedelta(hours=6), bought=Decimal("310.00")))
    return carts


@dataclass(frozen=True)
class Held:
    """What the database holds for one shop, counted here without the report's code."""

    carts: int
    held_out: int
    measured: int  # treated carts whose window closed: the base of the rates
    measured_conversions: int
    held_out_measured: int
    conversions: int
    revenue: Decimal
    holdout_conversions: int
    sent: dict[str, int]
    opened: dict[str, int]
    machine_opened: dict[str, int]
    clicked: dict[str, int]


async def held_for(sessions: async_sessionmaker[AsyncSession], shop: str) -> Held:
    shop_entries = [e for e in await rows(sessions, JourneyEntryRow) if e.shop == shop]
    orders = {o.cart_id: o for o in await rows(sessions, Order) if o.shop == shop}

    def converted(entry: JourneyEntryRow) -> bool:
        order = orders.get(entry.cart_id)
        return order is not None and entry.abandoned_at <= order.placed_at <= entry.window_ends_at

    treated = [e for e in shop_entries if not e.held_out]
    now = datetime.now(UTC)
    closed = [e for e in treated if e.window_ends_at <= now]
    messages = {
        (m.workflow_id, m.run_id, m.message_id): m.step
        for m in await rows(sessions, Message)
        if m.shop == shop and m.status == "sent"
    }
    events = [e for e in await rows(sessions, EngagementEvent) if e.shop == shop]

    def per_step(kind: str, machine: bool | None = None) -> dict[str, int]:
        counted: dict[str, int] = {}
        for event in events:
            if event.kind == kind and (machine is None or event.machine == machine):
                step = messages[(event.workflow_id, event.run_id, event.message_id)]
                counted[step] = counted.get(step, 0) + 1
        return counted

    sent: dict[str, int] = {}
    for step in messages.values():
        sent[step] = sent.get(step, 0) + 1
    return Held(
        carts=len(shop_entries),
        held_out=len(shop_entries) - len(treated),
        measured=len(closed),
        measured_conversions=sum(converted(e) for e in closed),
        held_out_measured=sum(1 for e in shop_entries if e.held_out and e.window_ends_at <= now),
        conversions=sum(converted(e) for e in treated),
        revenue=sum((orders[e.cart_id].total for e in treated if converted(e)), Decimal(0)),
        holdout_conversions=sum(converted(e) for e in shop_entries if e.held_out),
        sent=sent,
        opened=per_step("opened", machine=False),
        machine_opened=per_step("opened", machine=True),
        clicked=per_step("clicked"),
    )


async def log_in_through_the_form(page: Page, url: str) -> None:
    await page.goto(f"{url}/dashboard/")
    await expect(page).to_have_url(f"{url}/dashboard/login")
    await page.get_by_label("Email").fill(EMAIL)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Log in").click()
    await expect(page).to_have_url(f"{url}/dashboard/")


async def test_a_marketer_reads_what_the_database_holds_for_their_shop(
    app: FastAPI,
    browser: Browser,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime.now(UTC)
    release = await publish_release(session_factory)
    await record_carts(session_factory, release, shoppers(now))
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    held = await held_for(session_factory, SHOP)
    assert held.carts < len(await rows(session_factory, JourneyEntryRow))  # the other shop's

    async with served(app) as url:
        page = await browser.new_page()
        await log_in_through_the_form(page, url)
        await expect(page.get_by_test_id(f"shop-{OTHER_SHOP}")).to_have_count(0)
        await page.get_by_role("link", name="abandoned_cart").click()
        await expect(page.get_by_role("heading", name="Journey abandoned_cart")).to_be_visible()
        # the statistics as the report builder makes them, at the moment the page was built
        report = await journey_report(
            session_factory, journey="abandoned_cart", shops=[SHOP], since=None,
            settings=settings, now=datetime.now(UTC),
        )  # fmt: skip

        number = page.get_by_test_id
        treated = held.carts - held.held_out
        await expect(number("carts")).to_have_text(f"{held.carts}")
        await expect(number("holdout-carts")).to_have_text(f"{held.held_out}")
        await expect(number("conversions")).to_have_text(f"{held.conversions}")
        await expect(number("holdout-conversions")).to_have_text(f"{held.holdout_conversions}")
        await expect(number("recovered-revenue")).to_have_text(f"{held.revenue:,.2f} TRY")
        await expect(number("discount")).to_have_text("31.00 TRY")  # 15 + 16
        await expect(number("coupons")).to_have_text(
            "3 coupons issued, 2 redeemed by converted carts: what the offers cost"
        )
        # rates count the carts whose window has closed (all but the latest)
        assert held.measured == treated - 1
        await expect(number("conversion-rate")).to_have_text(
            f"{100 * held.measured_conversions / held.measured:.1f}%"
        )
        await expect(number("holdout-conversion-rate")).to_have_text(
            f"{100 * held.holdout_conversions / held.held_out_measured:.1f}%"
        )
        assert report.incremental_revenue is not None
        await expect(number("incremental-revenue")).to_have_text(
            f"{report.incremental_revenue.estimate:,.2f} TRY"
        )
        for arm in ("help", "scarcity"):
            step = send_step(arm)
            await expect(number(f"step-{step}-sent")).to_have_text(f"{held.sent[step]}")
            await expect(number(f"step-{step}-opened")).to_have_text(f"{held.opened[step]}")
            await expect(number(f"step-{step}-clicked")).to_have_text(f"{held.clicked[step]}")
            await expect(number(f"arm-subject-{arm}-carts")).to_have_text(
                f"{sum(1 for s in shoppers(now) if s.arm == arm and s.shop == SHOP)}"
            )
        help_step = send_step("help")
        await expect(number(f"step-{help_step}-machine_opened")).to_have_text(
            f"{held.machine_opened[help_step]}"
        )
        await expect(number("srm-subject")).to_contain_text("Carts split as planned")
        await expect(number("lift-help-vs-arm scarcity")).to_contain_text("vs arm scarcity:")
        latest = page.get_by_test_id("cart-latest").get_by_role("link", name="latest")
        await expect(latest).to_have_attribute("href", report.recent_carts[0].temporal_url)
        assert report.recent_carts[0].temporal_url.startswith(settings.temporal_ui_url)
        await expect(page.get_by_test_id("cart-latest")).to_contain_text("recovered")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-journey.png"), full_page=True)

        await page.goto(f"{url}/dashboard/shops/{OTHER_SHOP}/journeys/abandoned_cart")
        await expect(page.get_by_role("heading", name="No such page")).to_be_visible()

        await page.goto(f"{url}/dashboard/")
        await page.get_by_role("button", name="Log out").click()
        await expect(page).to_have_url(f"{url}/dashboard/login")
        await page.goto(f"{url}/dashboard/shops/{SHOP}/journeys/abandoned_cart")
        await expect(page).to_have_url(f"{url}/dashboard/login")
        await page.close()
