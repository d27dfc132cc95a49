"""A release with an offer goes live only where every shop it serves can make the codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.journey_files import read_journeys
from journey_schema.providers import Capabilities
from releases.activation import ActivationRefused, activate, rollback
from releases.publishing import publish
from storage import activations, coupons, shops
from tests.factories import add_shop
from tests.support.data_keys import dev_cipher
from tests.unit.journey_files import message_files, templates_for, version, write_journey
from workflows.payloads import Channel

Sessions = async_sessionmaker[AsyncSession]
EMAIL_ONLY = Capabilities(channels=frozenset({Channel.EMAIL}), webhook_targets=frozenset())
OFFER = {"send": {"template": "last_chance", "id": "r3", "coupon": {"percent": 10, "valid": "48h"}}}


@pytest.fixture
async def offering(session_factory: Sessions, tmp_path: Path) -> Sessions:
    """shop_journey v1 with an offer in its third step, v2 without, published."""
    offer_txt = "Code {{ coupon.code }}\nUnsubscribe: {{ unsubscribe_url }}"
    templates = templates_for("reminder") | message_files("last_chance", txt=offer_txt)
    write_journey(
        tmp_path,
        versions={1: version(steps=[*version()["steps"], OFFER]), 2: version(number=2)},
        templates=templates,
    )
    results = await publish(
        session_factory, read_journeys(tmp_path, channels=frozenset(Channel)), by="ci"
    )
    assert [str(result.state) for result in results] == ["published", "published"]
    return session_factory


async def go(sessions: Sessions, shop: str | None = None, version_: int = 1) -> None:
    async with sessions() as session:
        await activate(
            session,
            journey="shop_journey",
            version=version_,
            shop=shop,
            by="ayse",
            capabilities=EMAIL_ONLY,
            default_journey="shop_journey",
        )
        await session.commit()


async def test_a_shop_without_a_coupon_source_refuses_the_release_naming_the_command(
    offering: Sessions,
) -> None:
    await add_shop(offering, shop="pilot", key=None)

    with pytest.raises(ActivationRefused) as refused:
        await go(offering)

    text = str(refused.value)
    assert text.startswith("shop_journey v1 can not go live on this deployment:")
    assert "steps[2]: the step offers a coupon, but shop pilot has no coupon source configured" in (
        text
    )
    assert "cartnudge shops update pilot --coupon-source pool" in text


async def test_missing_credentials_and_an_empty_pool_are_refused_per_shop(
    offering: Sessions,
) -> None:
    await add_shop(offering, shop="shopify_one", key=None, coupon_source="shopify")
    await add_shop(offering, shop="pooled", key=None, coupon_source="pool")

    with pytest.raises(ActivationRefused) as refused:
        await go(offering)

    text = str(refused.value)
    assert (
        "shop shopify_one makes coupons with shopify but has no --shopify-domain, "
        "--shopify-admin-token: cartnudge shops update shopify_one --shopify-domain ... "
        "--shopify-admin-token ..."
    ) in text
    assert "cartnudge coupons import pooled codes.csv" in text


async def test_shops_that_can_make_codes_let_it_go_live(offering: Sessions) -> None:
    await add_shop(
        offering,
        shop="shopify_one",
        key=None,
        coupon_source="shopify",
        shopify_domain="one.myshopify.com",
        shopify_admin_token="shpat_x",
    )
    await add_shop(offering, shop="pooled", key=None, coupon_source="pool")
    async with offering() as session:
        await coupons.import_pool_codes(session, shop="pooled", codes=["P-1"])
        await session.commit()

    await go(offering)
    await go(offering, shop="pooled")  # once per shop too

    async with offering() as session:
        everywhere = await activations.live_activation(session, "shop_journey", None)
        pooled = await activations.live_activation(session, "shop_journey", "pooled")
    assert everywhere is not None and pooled is not None
    assert everywhere.action == pooled.action == "activate"


async def test_rolling_back_to_an_offer_a_shop_can_no_longer_make_is_refused(
    offering: Sessions,
) -> None:
    await add_shop(offering, shop="pooled", key=None, coupon_source="pool")
    async with offering() as session:
        await coupons.import_pool_codes(session, shop="pooled", codes=["P-1"])
        await session.commit()
    await go(offering)
    await go(offering, version_=2)
    async with offering() as session:
        await shops.update_shop(
            session, shop="pooled", changes={"coupon_source": None}, cipher=dev_cipher()
        )
        await session.commit()

    with pytest.raises(ActivationRefused) as refused:
        async with offering() as session:
            await rollback(
                session,
                journey="shop_journey",
                shop=None,
                by="ayse",
                capabilities=EMAIL_ONLY,
                default_journey="shop_journey",
            )

    assert "shop pooled has no coupon source configured" in str(refused.value)
