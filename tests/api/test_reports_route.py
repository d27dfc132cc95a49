"""`GET /v1/reports/journeys/{journey}` and `cartnudge report`: the shop reads its own
journey's numbers, in JSON or in words; another shop's carts never show."""

from __future__ import annotations

import io
import json

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from settings import Settings
from tests.support.journey_data import CartRecord, add_carts, publish_release


@pytest.fixture
async def carts(session_factory: async_sessionmaker[AsyncSession]) -> None:
    release = await publish_release(session_factory)
    await add_carts(
        session_factory,
        release,
        [CartRecord(cart_id=f"h{n}", arms={"subject": "help"}) for n in range(4)]
        + [CartRecord(cart_id="held", held_out=True)]
        + [CartRecord(cart_id="theirs", shop="other_shop", arms={"subject": "help"})],
    )


async def test_the_shop_reads_its_journey_report(api: httpx.AsyncClient, carts: None) -> None:
    response = await api.get("/v1/reports/journeys/abandoned_cart", params={"since": "2026-11-01"})

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["treated"]["carts"] == 4  # other_shop's cart is not counted
    assert report["holdout"]["carts"] == 1
    [experiment] = report["experiments"]
    assert [arm["name"] for arm in experiment["arms"]] == ["help", "scarcity"]
    # too few carts to narrow it: a rate is somewhere in 0-100%; revenue per cart has no
    # upper bound yet, and JSON has no infinity: null
    scarcity = experiment["arms"][1]
    assert (scarcity["conversion_rate"]["low"], scarcity["conversion_rate"]["high"]) == (0, 1)
    assert scarcity["revenue_per_cart"]["high"] is None


async def test_an_unknown_journey_is_a_404_that_suggests_the_right_one(
    api: httpx.AsyncClient, carts: None
) -> None:
    response = await api.get("/v1/reports/journeys/abandoned_cat")

    assert response.status_code == 404
    assert "did you mean 'abandoned_cart'" in response.text


async def test_another_shops_report_is_refused(api: httpx.AsyncClient, carts: None) -> None:
    response = await api.get("/v1/reports/journeys/abandoned_cart", params={"shop": "other_shop"})

    assert response.status_code == 403


async def _report(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    await run(["report", *argv], settings=settings, out=out)
    return out.getvalue()


async def test_cartnudge_report_says_it_in_words_and_in_json(
    settings: Settings, database_url: str, carts: None
) -> None:
    cli_settings = settings.model_copy(update={"database_url": database_url})

    text = await _report(cli_settings, "--shop", "demo_shop")
    as_json = json.loads(await _report(cli_settings, "--shop", "demo_shop", "--json"))

    assert "Journey abandoned_cart, shop demo_shop, all time" in text
    assert "Messaged carts: 4 carts, 0 converted" in text
    assert "Holdout (never messaged): 1 cart, 0 converted" in text
    assert "Experiment subject (v7, steps[0], arms sticky per customer; control: help)" in text
    assert "Sample ratio: too few carts to check yet" in text
    assert as_json["treated"]["carts"] == 4


async def test_cartnudge_report_names_a_mistake(
    settings: Settings, database_url: str, carts: None
) -> None:
    cli_settings = settings.model_copy(update={"database_url": database_url})

    with pytest.raises(CommandError, match="did you mean 'abandoned_cart'"):
        await _report(cli_settings, "--journey", "abandoned_carts")
    with pytest.raises(CommandError, match="write a date such as 2026-11-01"):
        await _report(cli_settings, "--since", "yesterday")
    with pytest.raises(CommandError, match="no shop 'nope'"):
        await _report(cli_settings, "--shop", "nope")
