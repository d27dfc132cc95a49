"""Activating releases: whole or as a share, per shop, rolled back, every change audited,
and nothing activated that this deployment could not send."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from journey_schema.journey_files import read_journeys
from journey_schema.providers import Capabilities
from releases.activation import ActivationRefused, activate, rollback, share_to_weight
from releases.live import choose_share, read_live_table
from releases.publishing import publish
from releases.split import describe, from_rows
from storage import activations
from tests.unit.journey_files import EMAIL, SMS, templates_for, version, write_journey
from workflows.payloads import Channel

Sessions = async_sessionmaker[AsyncSession]
EMAIL_ONLY = Capabilities(channels=frozenset({Channel.EMAIL}), webhook_targets=frozenset())
SMS_STEP = {"send": {"channel": "sms", "template": "reminder", "id": "r2"}}
STAFF_STEP = {"send": {"channel": "webhook", "target": "staf", "id": "alert"}}


@pytest.fixture
async def published(session_factory: Sessions, tmp_path: Path) -> Sessions:
    """shop_journey v1..v3 published; v3 also texts, v4 posts to a `staf` webhook."""
    sms = version(number=3, steps=[*version()["steps"], SMS_STEP])
    webhook = version(number=4, steps=[*version()["steps"], STAFF_STEP])
    templates = templates_for("reminder", channels=EMAIL + SMS)
    write_journey(
        tmp_path,
        versions={1: version(), 2: version(number=2), 3: sms, 4: webhook},
        templates=templates,
    )
    await publish(session_factory, read_journeys(tmp_path, channels=frozenset(Channel)), by="ci")
    return session_factory


async def go(
    sessions: Sessions,
    version_: int,
    share: str = "100",
    shop: str | None = None,
    default_journey: str = "shop_journey",
) -> str:
    async with sessions() as session:
        activation = await activate(
            session,
            journey="shop_journey",
            version=version_,
            weight=share_to_weight(share),
            shop=shop,
            by="ayse",
            capabilities=EMAIL_ONLY,
            default_journey=default_journey,
        )
        await session.commit()
    return describe(from_rows(activation.split))


async def back(sessions: Sessions, shop: str | None = None) -> str:
    async with sessions() as session:
        activation = await rollback(
            session, journey="shop_journey", shop=shop, by="mehmet", capabilities=EMAIL_ONLY
        )
        await session.commit()
    return describe(from_rows(activation.split))


async def test_a_share_keeps_the_rest_on_the_current_release(published: Sessions) -> None:
    assert await go(published, 1) == "v1 100%"
    assert await go(published, 2, "10") == "v2 10%, v1 90%"
    assert await go(published, 2, "50") == "v2 50%, v1 50%"
    assert await go(published, 2) == "v2 100%"


async def test_rollback_walks_back_through_the_activations(published: Sessions) -> None:
    await go(published, 1)
    await go(published, 2, "10")
    await go(published, 2)

    assert await back(published) == "v2 10%, v1 90%"
    assert await back(published) == "v1 100%"
    with pytest.raises(ActivationRefused, match="has had one activation only"):
        await back(published)


async def test_every_change_is_an_audit_row_with_who_and_what(published: Sessions) -> None:
    await go(published, 1)
    await go(published, 2, "25")
    await back(published)

    async with published() as session:
        history = await activations.activation_history(session, "shop_journey")
    assert [(row.action, describe(from_rows(row.split)), row.activated_by) for row in history] == [
        ("activate", "v1 100%", "ayse"),
        ("activate", "v2 25%, v1 75%", "ayse"),
        ("rollback", "v1 100%", "mehmet"),
    ]
    assert history[2].restores_id == history[0].id
    assert history[2].replaces_id == history[1].id


async def test_a_shop_can_have_its_own_activation(published: Sessions) -> None:
    await go(published, 1)
    assert await go(published, 2, shop="pilot") == "v2 100%"

    async with published() as session:
        everyone = await activations.live_activation(session, "shop_journey", None)
        pilot = await activations.live_activation(session, "shop_journey", "pilot")
    assert everyone is not None and describe(from_rows(everyone.split)) == "v1 100%"
    assert pilot is not None and describe(from_rows(pilot.split)) == "v2 100%"


async def test_a_release_this_deployment_can_not_send_is_refused(published: Sessions) -> None:
    with pytest.raises(ActivationRefused) as sms:
        await go(published, 3)
    with pytest.raises(ActivationRefused) as webhook:
        await go(published, 4)

    assert str(sms.value) == (
        "shop_journey v3 can not go live on this deployment:\n"
        "  steps[2].send.channel: channel 'sms' is not available yet: no provider configured "
        "(set CARTNUDGE_SMS_PROVIDER (twilio or netgsm) and its credentials)"
    )
    assert str(webhook.value) == (
        "shop_journey v4 can not go live on this deployment:\n"
        "  steps[2].send.target: webhook target 'staf' is not configured: "
        "CARTNUDGE_WEBHOOK_TARGETS names no targets"
    )
    async with published() as session:
        assert await activations.live_activation(session, "shop_journey", None) is None


async def test_an_unpublished_version_or_a_bad_share_is_refused_plainly(
    published: Sessions,
) -> None:
    with pytest.raises(ActivationRefused) as unpublished:
        await go(published, 9)
    with pytest.raises(ActivationRefused) as share:
        await go(published, 1, "ten")
    with pytest.raises(ActivationRefused, match="live as v1 100% already"):
        await go(published, 1)
        await go(published, 1)

    assert str(unpublished.value) == (
        "shop_journey v9 is not published (published: v1, v2, v3, v4); publish it with "
        "`cartnudge journeys publish shop_journey 9`"
    )
    assert str(share.value) == (
        "--share ten: write the percentage of new carts as a number, e.g. 10 or 2.5"
    )


async def test_a_rolled_back_release_does_not_come_back_by_rolling_back_again(
    published: Sessions,
) -> None:
    await go(published, 1)
    await go(published, 2)  # bad
    assert await back(published) == "v1 100%"
    assert await go(published, 2, "10") == "v2 10%, v1 90%"  # tried again, carefully
    assert await back(published) == "v1 100%"

    with pytest.raises(ActivationRefused, match="has had one activation only"):
        await back(published)


async def test_a_shop_pilot_rolls_back_to_the_deployment_wide_activation(
    published: Sessions,
) -> None:
    await go(published, 1)
    await go(published, 2, shop="pilot")

    assert await back(published, shop="pilot") == "the deployment-wide activation"
    async with published() as session:
        table = await read_live_table(session)
    assert choose_share(table, "pilot", "cart", "shop_journey") == choose_share(
        table, "other", "cart", "shop_journey"
    )


async def test_a_shop_activation_of_a_journey_that_does_not_serve_it_is_refused(
    published: Sessions,
) -> None:
    with pytest.raises(ActivationRefused) as refused:
        await go(published, 1, shop="acme", default_journey="abandoned_cart")

    assert str(refused.value) == (
        "shop acme is served by the default journey 'abandoned_cart', not shop_journey: an "
        "activation of shop_journey for it would never be used (list the shop under "
        "shop_journey's shops: and publish)"
    )


@pytest.mark.parametrize("share", ["nan", "inf", "0", "101", "0.001"])
def test_a_share_that_is_no_percentage_is_refused_in_words(share: str) -> None:
    with pytest.raises(ActivationRefused, match=f"--share {share}: "):
        share_to_weight(share)
