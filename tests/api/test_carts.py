"""PUT and DELETE of a cart: what the shop hears back, what we store, what the workflow hears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from storage.models import Cart, JourneyOutcome
from tests.support.api import CART, SHOP, WORKFLOW_ID, cart_body, order_body
from tests.support.histories import signalled_carts, signals, workflow_exists
from tests.support.tables import rows
from workflows import search_attributes as sa

PUT = f"/v1/carts/{CART}"


async def test_first_snapshot_starts_the_carts_workflow_with_it(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
) -> None:
    response = await api.put(PUT, json=cart_body())

    assert response.status_code == 202
    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "accepted"}
    [cart] = await rows(session_factory, Cart)
    assert (cart.shop, cart.cart_id, cart.customer_id) == (SHOP, CART, "c-1")
    assert (cart.total, cart.currency) == (Decimal("1299.90"), "TRY")
    assert cart.snapshot["items"][0]["sku"] == "SKU-1"
    description = await temporal_env.client.get_workflow_handle(WORKFLOW_ID).describe()
    assert description.workflow_type == "CartJourney"
    assert description.task_queue == settings.task_queue
    assert description.typed_search_attributes[sa.SHOP_ID] == SHOP
    assert description.typed_search_attributes[sa.CART_TOTAL] == 1299.9
    [cart] = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert cart.items[0].name == "Koşu Ayakkabısı"


async def test_a_newer_snapshot_replaces_the_stored_one_and_updates_the_workflow(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(PUT, json=cart_body())
    newer = cart_body(minutes=5, total="1499.90")

    response = await api.put(PUT, json=newer)

    assert response.json()["status"] == "accepted"
    [cart] = await rows(session_factory, Cart)
    assert cart.total == Decimal("1499.90")
    assert cart.updated_at == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    totals = [s.total for s in await signalled_carts(temporal_env.client, WORKFLOW_ID)]
    assert totals == [Decimal("1299.90"), Decimal("1499.90")]


async def test_an_older_snapshot_is_acknowledged_and_ignored(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(PUT, json=cart_body(minutes=10))

    response = await api.put(PUT, json=cart_body(minutes=5, total="1.00"))

    assert response.status_code == 202
    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "stale"}
    [cart] = await rows(session_factory, Cart)
    assert cart.total == Decimal("1299.90")
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


async def test_the_same_time_in_another_offset_is_no_newer(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.put(PUT, json=cart_body(updated_at="2026-11-22T10:00:00Z"))

    response = await api.put(PUT, json=cart_body(updated_at="2026-11-22T12:59:00+03:00"))

    assert response.json()["status"] == "stale"  # 09:59 UTC


async def test_a_replayed_snapshot_signals_again_and_changes_nothing_stored(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    body = cart_body()
    await api.put(PUT, json=body)
    [before] = await rows(session_factory, Cart)

    response = await api.put(PUT, json=body)  # the shop retrying, e.g. after a 503

    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    [after] = await rows(session_factory, Cart)
    assert (after.received_at, after.snapshot) == (before.received_at, before.snapshot)
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "update_cart"]


async def test_a_cart_with_an_order_never_starts_a_journey_again(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    await api.put(PUT, json=cart_body())
    await api.post("/v1/orders", json=order_body())
    handle = temporal_env.client.get_workflow_handle(WORKFLOW_ID)
    run_id = (await handle.describe()).run_id
    await handle.terminate("the journey ended")

    response = await api.put(PUT, json=cart_body(minutes=60))

    assert response.status_code == 202
    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "purchased"}
    assert (await handle.describe()).run_id == run_id  # no new run
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "order_placed"]


async def add_outcome(
    sessions: async_sessionmaker[AsyncSession],
    *,
    outcome: str,
    ended_ago: timedelta,
    messages_sent: int = 3,
) -> None:
    async with sessions() as session:
        session.add(
            JourneyOutcome(
                workflow_id=WORKFLOW_ID,
                run_id="run-1",
                shop=SHOP,
                cart_id=CART,
                customer_id="c-1",
                outcome=outcome,
                currency="TRY",
                messages_sent=messages_sent,
                ended_at=datetime.now(UTC) - ended_ago,
            )
        )
        await session.commit()


async def test_a_cart_whose_journey_just_ended_waits_for_the_cooldown(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
) -> None:
    await add_outcome(session_factory, outcome="expired", ended_ago=timedelta(hours=1))

    response = await api.put(PUT, json=cart_body())

    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "cooldown"}
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)
    assert len(await rows(session_factory, Cart)) == 1  # the latest cart is still kept


async def test_after_the_cooldown_the_cart_starts_a_new_journey(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    settings: Settings,
) -> None:
    ago = timedelta(hours=settings.rejoin_cooldown_hours, minutes=1)
    await add_outcome(session_factory, outcome="expired", ended_ago=ago)

    response = await api.put(PUT, json=cart_body())

    assert response.json()["status"] == "accepted"
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart"]


async def test_a_cart_emptied_before_any_message_may_start_again_at_once(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_outcome(
        session_factory, outcome="emptied", ended_ago=timedelta(hours=1), messages_sent=0
    )

    response = await api.put(PUT, json=cart_body())

    assert response.json()["status"] == "accepted"


async def test_a_running_journey_hears_updates_despite_a_recent_outcome(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(PUT, json=cart_body())  # a new run, started after the cooldown ended
    await add_outcome(session_factory, outcome="expired", ended_ago=timedelta(hours=1))

    response = await api.put(PUT, json=cart_body(minutes=5))

    assert response.json()["status"] == "accepted"
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "update_cart"]


async def test_an_empty_snapshot_ends_the_running_journey(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(PUT, json=cart_body())

    response = await api.put(PUT, json=cart_body(minutes=5, items=[], total="0"))

    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "emptied"}
    [cart] = await rows(session_factory, Cart)
    assert cart.emptied_at is not None
    [_, emptied] = await signalled_carts(temporal_env.client, WORKFLOW_ID)
    assert emptied.items == []


async def test_an_empty_first_snapshot_starts_nothing(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    response = await api.put(PUT, json=cart_body(items=[], total="0"))

    assert response.json()["status"] == "emptied"
    assert not await workflow_exists(temporal_env.client, WORKFLOW_ID)


async def test_delete_marks_the_cart_emptied_and_tells_the_workflow(
    api: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
) -> None:
    await api.put(PUT, json=cart_body())

    response = await api.delete(PUT, params={"shop": SHOP})

    assert response.status_code == 202
    assert response.json() == {"workflow_id": WORKFLOW_ID, "status": "emptied"}
    [cart] = await rows(session_factory, Cart)
    assert cart.emptied_at is not None
    assert await signals(temporal_env.client, WORKFLOW_ID) == ["update_cart", "cart_emptied"]


async def test_delete_of_an_unknown_cart_is_accepted_and_starts_nothing(
    api: httpx.AsyncClient, temporal_env: WorkflowEnvironment
) -> None:
    response = await api.delete("/v1/carts/never-seen", params={"shop": SHOP})

    assert response.status_code == 202
    assert not await workflow_exists(temporal_env.client, f"cart-{SHOP}-never-seen")


async def test_delete_without_a_shop_means_the_api_keys_shop(
    api: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await api.put(PUT, json=cart_body())

    response = await api.delete(PUT)

    assert response.status_code == 202
    assert response.json()["workflow_id"] == WORKFLOW_ID
    [cart] = await rows(session_factory, Cart)
    assert cart.emptied_at is not None


async def test_journey_of_an_unknown_cart_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get("/v1/carts/never-seen/journey", params={"shop": SHOP})

    assert response.status_code == 404
    assert response.json()["detail"] == f"no journey for cart 'never-seen' of shop '{SHOP}'"
