"""`make run` makes a dashboard login for the demo shop, the one `make demo` prints."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.shops import (
    DEMO_DASHBOARD_PASSWORD,
    DEMO_DASHBOARD_USER,
    DEMO_SHOP,
    demo_dashboard_user,
)
from storage.models import DashboardUser
from tests.factories import add_shop
from tests.support.dashboard import log_in
from tests.support.tables import rows


async def test_the_demo_login_is_made_once_and_opens_the_demo_shop(
    database_url: str,
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_shop(session_factory, shop=DEMO_SHOP, key=None)

    await demo_dashboard_user(database_url, DEMO_SHOP)
    await demo_dashboard_user(database_url, DEMO_SHOP)  # the next `make run`

    assert [user.email for user in await rows(session_factory, DashboardUser)] == [
        DEMO_DASHBOARD_USER
    ]
    response = await log_in(
        browser_client, email=DEMO_DASHBOARD_USER, password=DEMO_DASHBOARD_PASSWORD
    )
    assert response.status_code == 303
    assert f'data-testid="shop-{DEMO_SHOP}"' in (await browser_client.get("/dashboard/")).text
