"""Builders for tests of what happens to sent messages: a running cart, outbox rows, the
engagement signals its workflow run heard, and an app whose Temporal is unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from devstack.processes import free_port
from settings import Settings
from storage.models import Message
from tests.api.helpers import CART, SHOP, cart_body, http_client
from workflows.client import cart_workflow_id
from workflows.payloads import Engagement


async def running_cart(
    api: httpx.AsyncClient,
    client: Client,
    *,
    shop: str = SHOP,
    cart_id: str = CART,
    api_key: str | None = None,
) -> str:
    """Start the cart's workflow through the API (as the shop of `api_key`); its run id."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
    response = await api.put(f"/v1/carts/{cart_id}", json=cart_body(shop=shop), headers=headers)
    assert response.status_code == 202, response.text
    description = await client.get_workflow_handle(cart_workflow_id(shop, cart_id)).describe()
    return str(description.run_id)


async def add_message(
    sessions: async_sessionmaker[AsyncSession],
    *,
    run_id: str,
    message_id: str = "r1",
    shop: str = SHOP,
    cart_id: str = CART,
    channel: str = "email",
    recipient: str = "ayse@example.com",
    provider: str = "sendgrid",
    provider_message_id: str | None = None,
    key: str | None = None,
) -> Message:
    """An outbox row for a message the workflow run sent; its key defaults to run + id."""
    workflow_id = cart_workflow_id(shop, cart_id)
    row = Message(
        key=key or f"{workflow_id}/{run_id}/{message_id}",
        workflow_id=workflow_id,
        run_id=run_id,
        shop=shop,
        cart_id=cart_id,
        journey="abandoned_cart",
        version=1,
        step=f"steps[{message_id}]",
        message_id=message_id,
        channel=channel,
        template="reminder",
        recipient=recipient,
        locale="tr-TR",
        subject="Sepetiniz" if channel == "email" else None,
        status="sent",
        provider=provider,
        provider_message_id=provider_message_id,
        sent_at=datetime.now(UTC),
    )
    async with sessions() as session:
        session.add(row)
        await session.commit()
    return row


async def engagement_signals(
    client: Client, workflow_id: str, run_id: str
) -> list[tuple[str, str, str | None]]:
    """(message id, kind, channel) of each engagement signal the run heard, in order."""
    history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
    found = []
    for event in history.events:
        if not event.HasField("workflow_execution_signaled_event_attributes"):
            continue
        attributes = event.workflow_execution_signaled_event_attributes
        if attributes.signal_name == "engagement":
            [engagement] = await client.data_converter.decode(
                attributes.input.payloads, [Engagement]
            )
            found.append((engagement.message_id, engagement.kind.value, engagement.channel))
    return found


def as_tuples(rows: list[Any], *fields: str) -> set[tuple[Any, ...]]:
    """The given fields of each row, as a set: what the table holds, in any order."""
    return {tuple(getattr(row, name) for name in fields) for row in rows}


@asynccontextmanager
async def client_without_temporal(
    settings: Settings, engine: AsyncEngine, **headers: str
) -> AsyncIterator[httpx.AsyncClient]:
    """A client (anonymous unless `headers` say) on the app while Temporal is unreachable."""
    # nothing listens on a free port once its probe socket is closed
    unreachable = settings.model_copy(update={"temporal_address": f"127.0.0.1:{free_port()}"})
    app = create_app(unreachable, engine=engine)
    async with app.router.lifespan_context(app), http_client(app, **headers) as client:
        yield client
