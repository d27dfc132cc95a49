"""A marketer logs in through the form in Chromium and reads a journey's numbers."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.dashboard.sample_report import sample_report
from tests.support.api import SHOP, served
from tests.support.dashboard import PASSWORD, FakeReports, add_dashboard_user

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # ignored by git
EMAIL = "ana@shop.example"


async def test_a_marketer_logs_in_and_reads_the_journey_report(
    app: FastAPI,
    browser: Browser,
    reports: FakeReports,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    report = sample_report(shop=SHOP)
    reports.add(SHOP, report)
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])

    async with served(app) as url:
        page = await browser.new_page()
        await page.goto(f"{url}/dashboard/")
        await expect(page).to_have_url(f"{url}/dashboard/login")
        await page.get_by_label("Email").fill(EMAIL)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Log in").click()
        await expect(page).to_have_url(f"{url}/dashboard/")
        await page.get_by_role("link", name="abandoned_cart").click()

        await expect(page.get_by_role("heading", name="Journey abandoned_cart")).to_be_visible()
        treated, holdout = report.treated, report.holdout
        assert holdout is not None and report.incremental_revenue is not None
        await expect(page.get_by_test_id("carts")).to_have_text(f"{treated.carts + holdout.carts}")
        await expect(page.get_by_test_id("recovered-revenue")).to_have_text(
            f"{treated.revenue:,.2f} TRY"
        )
        await expect(page.get_by_test_id("incremental-revenue")).to_have_text(
            f"{report.incremental_revenue.estimate:,.2f} TRY"
        )
        await expect(page.get_by_test_id("conversion-rate")).to_have_text(
            f"{treated.conversion_rate.estimate * 100:.1f}%"
        )
        await expect(page.get_by_test_id("holdout-carts")).to_have_text(f"{holdout.carts}")
        await expect(page.get_by_role("alert")).to_contain_text("Sample ratio mismatch")
        await expect(
            page.get_by_role("img", name="Recovered and incremental revenue per day")
        ).to_be_visible()
        cart_link = page.get_by_test_id("cart-abc").get_by_role("link")
        await expect(cart_link).to_have_attribute("href", report.recent_carts[0].temporal_url)
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "dashboard-journey.png"), full_page=True)

        await page.get_by_role("button", name="Log out").click()
        await expect(page).to_have_url(f"{url}/dashboard/login")
        await page.goto(f"{url}/dashboard/")
        await expect(page).to_have_url(f"{url}/dashboard/login")
        await page.close()
