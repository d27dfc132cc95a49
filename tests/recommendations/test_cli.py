"""`cartnudge recommendations refresh` and `show`: what an engineer or marketer types to
see recommendations without waiting for the night."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from cli.errors import CommandError
from cli.main import run
from releases.live import LiveReleases
from settings import Settings
from tests.factories import add_shop
from tests.support.order_lines import SHOP, add_orders, seeded_orders
from tests.support.temporal import running_worker, settings_for_tests


async def cartnudge(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    await run(argv, settings=settings, out=out, stdin=io.StringIO())
    return out.getvalue()


async def test_refresh_now_then_show_what_a_cart_gets(
    dev_server: WorkflowEnvironment,
    database_url: str,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    settings = settings_for_tests(
        database_url=database_url,
        temporal_address=dev_server.client.service_client.config.target_host,
    )
    await add_shop(session_factory, shop=SHOP, key=None)
    await add_orders(session_factory, seeded_orders(datetime.now(UTC)))
    assert "nothing to recommend yet" in await cartnudge(
        settings, "recommendations", "show", SHOP, "shoes"
    )
    releases = LiveReleases(session_factory, default_journey=settings.default_journey)
    async with running_worker(
        dev_server.client,
        settings=settings,
        session_factory=session_factory,
        providers={},
        releases=releases,
    ):
        printed = await cartnudge(settings, "recommendations", "refresh", "--shop", SHOP)

    assert printed == (
        f"{SHOP}: 200 orders, 3 products with others bought with them (4 pairs), 4 popular\n"
    )
    shown = await cartnudge(settings, "recommendations", "show", SHOP, "shoes", "--limit", "3")
    assert [line.split("\t")[:3] for line in shown.splitlines()] == [
        ["tights", "Tights", "14.5000"],
        ["socks", "Socks", "9.9000"],
        ["bottle", "Bottle", "19.0000"],
    ]


async def test_refresh_of_an_unknown_shop_is_refused(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises(CommandError, match="no shop 'nope'"):
        await cartnudge(
            settings_for_tests(database_url=database_url),
            "recommendations",
            "refresh",
            "--shop",
            "nope",
        )
