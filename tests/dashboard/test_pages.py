"""The pages a logged-in marketer reads: only their shops, the journey report in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import unescape

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.dashboard.formatting import percent_range
from reports.model import Interval, SampleRatioStatus
from tests.dashboard.conftest import OTHER_SHOP
from tests.dashboard.sample_report import decided, sample_report
from tests.support.api import SHOP
from tests.support.dashboard import FakeReports, add_dashboard_user, log_in

EMAIL = "ana@shop.example"
PAGE = f"/dashboard/shops/{SHOP}/journeys/abandoned_cart"


def by_testid(html: str, testid: str) -> str:
    """The text inside the element with this data-testid, tags removed."""
    found = re.search(
        rf'data-testid="{re.escape(testid)}"[^>]*>(.*?)</(?:div|span|b|td|p)>', html, re.S
    )
    assert found, f"no data-testid={testid!r} in the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


@pytest.fixture
async def reader(
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    reports: FakeReports,
) -> httpx.AsyncClient:
    """Ana, who sees SHOP only, logged in; both shops have a journey with carts."""
    reports.add(SHOP, sample_report(shop=SHOP))
    reports.add(OTHER_SHOP, sample_report(journey="winback", shop=OTHER_SHOP))
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    assert (await log_in(browser_client, email=EMAIL)).status_code == 303
    return browser_client


async def test_not_logged_in_every_page_leads_to_the_login_page(
    browser_client: httpx.AsyncClient,
) -> None:
    for path in ("/dashboard/", PAGE, f"/dashboard/shops/{OTHER_SHOP}/journeys/winback"):
        response = await browser_client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/dashboard/login"


async def test_the_index_lists_the_readers_shops_and_their_journeys_only(
    reader: httpx.AsyncClient,
) -> None:
    response = await reader.get("/dashboard/")

    assert response.status_code == 200
    assert f'href="{PAGE}"' in response.text
    assert OTHER_SHOP not in response.text and "winback" not in response.text


async def test_another_shops_page_is_not_found_exactly_like_a_shop_that_does_not_exist(
    reader: httpx.AsyncClient, reports: FakeReports
) -> None:
    other = await reader.get(f"/dashboard/shops/{OTHER_SHOP}/journeys/winback")
    missing = await reader.get("/dashboard/shops/no_such_shop/journeys/winback")
    own_unknown_journey = await reader.get(f"/dashboard/shops/{SHOP}/journeys/winback")

    assert other.status_code == missing.status_code == own_unknown_journey.status_code == 404
    assert other.text == missing.text
    assert "No such page" in other.text
    assert [shop for shop, _, _ in reports.asked] == []  # no report was even built


async def test_the_journey_page_says_the_reports_numbers_in_words(
    reader: httpx.AsyncClient, reports: FakeReports
) -> None:
    response = await reader.get(PAGE)

    assert response.status_code == 200, response.text
    html = response.text
    assert by_testid(html, "carts") == "200"
    assert by_testid(html, "conversions") == "27"
    assert by_testid(html, "conversion-rate") == "15.0%"
    assert by_testid(html, "conversion-rate-interval") == (
        "95% interval, safe to check daily: 10.0% to 20.0%"
    )
    assert by_testid(html, "recovered-revenue") == "35,097.30 TRY"
    assert by_testid(html, "discount") == "1,234.50 TRY"
    assert by_testid(html, "coupons") == (
        "40 coupons issued, 9 redeemed by converted carts: what the offers cost"
    )
    assert by_testid(html, "arm-first_wait-fast-discount") == (
        "700.00 TRY off, 5 of 22 coupons redeemed"
    )
    assert "arm-first_wait-slow-discount" not in html  # no coupon in that arm
    assert by_testid(html, "release-3-discount") == "1,234.50 TRY"
    assert by_testid(html, "incremental-revenue") == "9,123.45 TRY"
    assert by_testid(html, "incremental-interval") == (
        "95% interval, safe to check daily: -1,200.50 TRY to 19,447.40 TRY"
    )
    assert by_testid(html, "holdout-carts") == "20"
    assert by_testid(html, "holdout-conversion-rate") == "10.0%"
    assert by_testid(html, "click-conversions") == "13 after a click on our links (secondary)"
    assert by_testid(html, "step-steps[1]-sent") == "170"
    assert by_testid(html, "step-steps[1]-opened") == "70"
    assert by_testid(html, "step-steps[1]-machine_opened") == "31"
    assert by_testid(html, "step-steps[0].arms.slow[0]-entered") == "89"
    assert "Opens are shown for information and never decide anything" in html
    assert by_testid(html, "arm-first_wait-fast-rate") == "17.6%"
    assert "Sample ratio mismatch" in by_testid(html, "srm-first_wait")
    assert by_testid(html, "decision-first_wait") == (
        "No decision yet. Needs about 1,800 more carts to detect a lift of 2 points."
    )
    assert 'href="http://localhost:8233/namespaces/default/workflows/cart-demo_shop-abc"' in html
    assert "2 carts in other currencies than TRY" in html
    assert html.count("<svg") == 3  # the daily chart and one interval bar per arm
    assert reports.asked == [(SHOP, "abandoned_cart", None)]


async def test_a_decided_experiment_says_who_won_and_a_fair_split_raises_no_alarm(
    reader: httpx.AsyncClient, reports: FakeReports
) -> None:
    report = sample_report(shop=SHOP)
    [experiment] = report.experiments
    experiment = decided(experiment).model_copy(
        update={
            "sample_ratio": experiment.sample_ratio.model_copy(
                update={"p_value": 0.4, "mismatch": False}
            )
        }
    )
    reports.add(SHOP, report.model_copy(update={"experiments": [experiment], "holdout": None,
                                                 "incremental_revenue": None}))  # fmt: skip

    html = (await reader.get(PAGE)).text

    assert by_testid(html, "decision-first_wait").startswith("Decided: arm fast wins")
    assert "Sample ratio mismatch" not in html
    assert "vs arm fast:" in by_testid(html, "lift-slow-vs-fast")
    assert by_testid(html, "srm-first_wait") == (
        "Carts split as planned (sample ratio check p = 0.4000)."
    )
    assert by_testid(html, "incremental-revenue") == "–"
    assert "holds nobody out" in html


async def test_since_picks_the_period_and_a_bad_date_is_said_in_words(
    reader: httpx.AsyncClient, reports: FakeReports
) -> None:
    start = (datetime.now(UTC) - timedelta(days=30)).date()

    response = await reader.get(PAGE, params={"since": start.isoformat()})
    bad = await reader.get(PAGE, params={"since": "last tuesday"})

    assert response.status_code == 200
    assert reports.asked == [
        (SHOP, "abandoned_cart", datetime(start.year, start.month, start.day, tzinfo=UTC))
    ]
    assert 'class="current">last 30 days' in response.text
    assert bad.status_code == 400
    assert "&#39;last tuesday&#39; is not a date: give it as YYYY-MM-DD" in bad.text


async def test_pages_are_never_cached_or_framed(reader: httpx.AsyncClient) -> None:
    response = await reader.get(PAGE)

    assert response.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_the_dashboard_is_not_in_the_openapi_spec(reader: httpx.AsyncClient) -> None:
    spec = (await reader.get("/openapi.json")).json()

    assert not [path for path in spec["paths"] if path.startswith("/dashboard")]


def test_a_rate_interval_is_said_within_0_and_100_percent() -> None:
    assert percent_range(Interval(estimate=0.3, low=-0.154, high=1.2)) == "0.0% to 100.0%"


async def test_a_holdout_that_did_not_get_its_share_is_a_loud_warning(
    reader: httpx.AsyncClient, reports: FakeReports
) -> None:
    skewed = SampleRatioStatus(
        p_value=0.00001, mismatch=True, expected={"holdout": 0.1, "treated": 0.9},
        observed={"holdout": 2, "treated": 198},
    )  # fmt: skip
    reports.add(SHOP, sample_report(shop=SHOP, holdout_sample_ratio=skewed))

    html = (await reader.get(PAGE)).text

    assert by_testid(html, "srm-holdout").startswith(
        "Sample ratio mismatch: carts did not split between the holdout and the messaged carts"
        " as planned (p < 0.0001)."
    )
