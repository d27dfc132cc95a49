"""`cartnudge journeys publish|activate|rollback|status`, as a marketer types them."""

from __future__ import annotations

import asyncio
import io
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.testing import WorkflowEnvironment

from cli.errors import CommandError
from cli.main import run
from settings import Settings
from storage import releases
from storage.database import create_engine, create_session_factory
from tests.support.temporal import settings_for_tests
from tests.unit.journey_files import EMAIL, SMS, templates_for, version, write_journey
from workflows.names import CART_JOURNEY
from workflows.payloads import CartJourneyInput
from workflows.search_attributes import JOURNEY_RELEASE


@pytest.fixture
def cli_settings(database_url: str, tmp_path: Path, session_factory: object) -> Settings:
    """journeys/ in tmp_path, the test database, Temporal where nothing listens."""
    write_journey(tmp_path / "journeys", versions={1: version(), 2: version(number=2)})
    return settings_for_tests(
        database_url=database_url,
        journeys_dir=tmp_path / "journeys",
        temporal_address="127.0.0.1:1",
        default_journey="shop_journey",
    )


@asynccontextmanager
async def settings_sessions(settings: Settings) -> AsyncIterator[AsyncSession]:
    engine = create_engine(settings.database_url)
    try:
        async with create_session_factory(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def cartnudge(settings: Settings, *argv: str) -> str:
    out = io.StringIO()
    await run(argv, settings=settings, out=out)
    return out.getvalue()


async def test_publish_activate_a_share_status_and_rollback(cli_settings: Settings) -> None:
    published = await cartnudge(cli_settings, "journeys", "publish", "--by", "ayse")
    await cartnudge(cli_settings, "journeys", "activate", "shop_journey", "1", "--by", "ayse")
    shared = await cartnudge(
        cli_settings, "journeys", "activate", "shop_journey", "2", "--share", "10", "--by", "ayse"
    )
    status = await cartnudge(cli_settings, "journeys", "status")
    rolled = await cartnudge(cli_settings, "journeys", "rollback", "shop_journey", "--by", "can")
    history = (await cartnudge(cli_settings, "journeys", "history", "shop_journey")).splitlines()

    assert published.count("published as release") == 2
    assert shared == "shop_journey: new carts get v2 10%, v1 90%\n"
    lines = status.splitlines()
    assert lines[0] == "shop_journey"
    assert lines[1].startswith("  live: v2 10%, v1 90%  since ")
    assert lines[1].endswith(" UTC by ayse (activate)")
    assert lines[2].startswith("  v1  release ") and "published " in lines[2]
    assert "carts in flight: unknown (Temporal at 127.0.0.1:1" in lines[2]
    assert rolled == "shop_journey rolled back: new carts get v1 100%\n"
    assert [line.split("  ", 2)[2] for line in history] == [
        "ayse  activate  shop_journey: v1 100%",
        "ayse  activate  shop_journey: v2 10%, v1 90%",
        "can  rollback (back to #1)  shop_journey: v1 100%",
    ]
    assert history[0].startswith("#1  ")


async def test_publishing_a_changed_version_fails_and_names_the_file(
    cli_settings: Settings,
) -> None:
    await cartnudge(cli_settings, "journeys", "publish")
    version_file = cli_settings.journeys_dir / "shop_journey" / "v2.yaml"
    version_file.write_text(version_file.read_text().replace("1d", "2d"))

    with pytest.raises(CommandError, match=r"1 version\(s\) not published"):
        await cartnudge(cli_settings, "journeys", "publish")


async def test_activating_an_unknown_version_is_a_plain_error(cli_settings: Settings) -> None:
    with pytest.raises(CommandError) as raised:
        await cartnudge(cli_settings, "journeys", "activate", "shop_journey", "1")

    assert str(raised.value) == (
        "shop_journey has no published version: run `cartnudge journeys publish shop_journey` first"
    )


async def test_status_counts_the_carts_in_flight_on_each_release(
    cli_settings: Settings, dev_server: WorkflowEnvironment
) -> None:
    settings = cli_settings.model_copy(
        update={"temporal_address": dev_server.client.service_client.config.target_host}
    )
    await cartnudge(settings, "journeys", "publish")
    await cartnudge(settings, "journeys", "activate", "shop_journey", "1")
    status = await cartnudge(settings, "journeys", "status")

    assert "carts in flight: 0" in status
    # A cart on v1, as the workflow marks it at abandonment (no worker polls this queue).
    async with settings_sessions(settings) as session:
        stored = await releases.release_of_version(session, "shop_journey", 1)
    assert stored is not None
    await dev_server.client.start_workflow(
        CART_JOURNEY,
        CartJourneyInput(shop="s", cart_id="c1"),
        id=f"cart-s-c1-{uuid.uuid4()}",
        task_queue=f"nobody-{uuid.uuid4()}",
        search_attributes=TypedSearchAttributes([SearchAttributePair(JOURNEY_RELEASE, stored.id)]),
    )
    for _ in range(50):  # visibility catches up within moments
        status = await cartnudge(settings, "journeys", "status")
        if "carts in flight: 1" in status:
            break
        await asyncio.sleep(0.1)
    [v1_line] = [line for line in status.splitlines() if line.startswith("  v1 ")]
    assert v1_line.endswith("carts in flight: 1")


async def test_a_version_this_machine_can_not_send_is_published_and_refused_at_activation(
    cli_settings: Settings,
) -> None:
    texting = version(
        number=3, steps=[*version()["steps"], {"send": {"channel": "sms", "template": "reminder"}}]
    )
    write_journey(
        cli_settings.journeys_dir,
        versions={3: texting},
        templates=templates_for("reminder", channels=EMAIL + SMS),
    )

    published = await cartnudge(cli_settings, "journeys", "publish", "shop_journey", "3")
    with pytest.raises(CommandError, match="no provider configured"):
        await cartnudge(cli_settings, "journeys", "activate", "shop_journey", "3")

    assert published.startswith("shop_journey v3: published as release ")
