"""GET /v1/carts/{cart_id}/journey with the real worker running the cart's workflow."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from settings import Settings
from tests.support.api import CART, SHOP, WORKFLOW_ID, cart_body, order_body
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, smtp_email

REPO_JOURNEYS = Path(__file__).resolve().parents[2] / "journeys"


async def test_the_journey_state_while_running_and_after_the_purchase(
    api: httpx.AsyncClient,
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    temporal_env: WorkflowEnvironment,
    smtp_server: SmtpServer,
) -> None:
    async with running_worker(
        temporal_env.client,
        settings=settings.model_copy(update={"journeys_dir": REPO_JOURNEYS}),
        session_factory=session_factory,
        providers=smtp_email(smtp_server.url),
    ):
        await api.put(f"/v1/carts/{CART}", json=cart_body())

        watching = await api.get(f"/v1/carts/{CART}/journey", params={"shop": SHOP})

        assert watching.status_code == 200
        state = watching.json()
        assert (state["shop"], state["cart_id"], state["status"]) == (SHOP, CART, "watching")
        assert (state["cart_total"], state["currency"], state["outcome"]) == (
            "1299.90",
            "TRY",
            None,
        )

        await api.post("/v1/orders", json=order_body())
        await temporal_env.client.get_workflow_handle(WORKFLOW_ID).result()

        finished = await api.get(f"/v1/carts/{CART}/journey", params={"shop": SHOP})

    assert finished.status_code == 200
    assert finished.json()["status"] == "finished"
    assert (finished.json()["outcome"], finished.json()["order_id"]) == ("purchased", "o-1")
    assert smtp_server.messages == []
