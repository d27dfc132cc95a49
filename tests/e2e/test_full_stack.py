"""Everything real: dev server, worker and API processes, HTTP, PostgreSQL, SMTP on loopback.

Uses the shipped `demo` journey (shop "demo"): quiet 5s -> r1 -> wait up to 20s for a
click (clicked: still_thinking r2 | else nudge r2b) -> wait -> last_chance r3. The copy under
test waits 10 minutes before r3, so the order always lands in that wait, however slow the
machine.
"""

from __future__ import annotations

import asyncio
import io
import re
import shutil
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.main import run
from contract.carts import CART_EXAMPLE
from settings import Settings
from storage.models import JourneyOutcome
from tests.e2e.stack import REPO, running_stack
from tests.factories import add_shop
from tests.support.smtp import SmtpServer, body_text

pytestmark = pytest.mark.e2e

API_KEY = "e2e-api-key"
# The documented example cart (what the API docs show), with a second item.
CART = {
    **CART_EXAMPLE,
    "total": "1349.80",
    "items": [
        *CART_EXAMPLE["items"],
        {"sku": "SKU-2", "name": "Spor Çorap", "quantity": 1, "unit_price": "49.90"},
    ],
}


def click_links(html: str, base_url: str) -> list[str]:
    return re.findall(re.escape(base_url) + r"/t/c/[A-Za-z0-9_.\-]+", html)


async def journey_state(api: httpx.AsyncClient, cart_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/carts/{cart_id}/journey", params={"shop": "demo"})
    assert response.status_code == 200, response.text
    return dict(response.json())


T = TypeVar("T")


async def eventually(check: Callable[[], Awaitable[T]], timeout: float = 30) -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.3)


async def test_a_cart_is_recovered_end_to_end(
    dev_server: WorkflowEnvironment,
    database_url: str,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    shutil.copytree(REPO / "journeys", journeys)
    demo = journeys / "demo" / "v1.yaml"
    demo.write_text(demo.read_text().replace("wait: 5s", "wait: 10m"))
    await add_shop(session_factory, shop="demo", key=API_KEY)
    settings_env = {
        "CARTNUDGE_JOURNEYS_DIR": str(journeys),
        "CARTNUDGE_DATABASE_URL": database_url,
        "CARTNUDGE_TEMPORAL_ADDRESS": dev_server.client.service_client.config.target_host,
        "CARTNUDGE_SMTP_URL": smtp_server.url,
        "CARTNUDGE_EMAIL_CAP_HOURS": "0",  # the demo journey sends seconds apart
        "CARTNUDGE_TASK_QUEUE": f"e2e-{tmp_path.name}",
    }
    # What an operator does before carts arrive: publish journeys/ and make versions live.
    cli_settings = Settings(journeys_dir=journeys, database_url=database_url)
    for command in (["publish"], ["activate", "demo", "1"], ["activate", "abandoned_cart", "1"]):
        await run(["journeys", *command, "--by", "e2e"], settings=cli_settings, out=io.StringIO())
    with running_stack(settings_env, tmp_path) as base_url:
        headers = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=10) as api:
            response = await api.put("/v1/carts/abc", json=CART)
            assert response.status_code == 202, response.text
            assert response.json()["workflow_id"] == "cart-demo-abc"

            # the first reminder arrives with the cart in it
            [first] = await smtp_server.wait_for_messages(1, timeout=30)
            assert first["To"].addresses[0].addr_spec == "ayse@example.com"
            html = body_text(first, "html")
            assert "Koşu Ayakkabısı" in html and "Spor Çorap" in html
            assert "₺1.349,80" in html
            assert "https://shop.example/i/1.jpg" in html

            # every link is signed and leads where the message was built to send it
            links = click_links(html, base_url)
            destinations = set()
            for link in links:
                clicked = await api.get(link, follow_redirects=False)
                assert clicked.status_code in (302, 303, 307)
                destinations.add(clicked.headers["location"])
            assert destinations == {
                "https://shop.example/checkout/abc",  # the button, and the item without a page
                "https://shop.example/p/1",
            }
            tampered = await api.get(links[0][:-3] + "AAA", follow_redirects=False)
            assert tampered.status_code == 400

            # the click steers the journey: clickers get still_thinking (r2), not the nudge
            emails = await smtp_server.wait_for_messages(2, timeout=30)
            assert str(emails[1]["X-Cartnudge-Message"]) == "demo/v1/r2"

            order = {
                "shop": "demo", "order_id": "o-1001", "cart_id": "abc",
                "total": "1349.80", "currency": "TRY",
            }  # fmt: skip
            assert (await api.post("/v1/orders", json=order)).status_code == 202

            async def finished() -> dict[str, Any] | None:
                state = await journey_state(api, "abc")
                return state if state["status"] == "finished" else None

            state = await eventually(finished)
            assert state is not None, await journey_state(api, "abc")
            assert state["outcome"] == "recovered"
            assert Decimal(state["revenue"]) == Decimal("1349.80")
            assert [m["message_id"] for m in state["messages"]] == ["r1", "r2"]
            assert state["messages"][0]["clicked"] is True

    async with session_factory() as session:
        [row] = (await session.scalars(select(JourneyOutcome))).all()
    assert (row.outcome, row.revenue, row.order_id) == ("recovered", Decimal("1349.80"), "o-1001")
    assert len(smtp_server.messages) == 2  # the last chance never went out
