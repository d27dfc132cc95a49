"""A key rotates under a running cart: started under k1, finished after the setting became
[k2, k1] (a new worker replays its k1 history, writes on under k2), on the dev server."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.testing import WorkflowEnvironment

from data_at_rest.cipher import new_key
from devstack.processes import REPO
from settings import DataKey
from temporal_connection import connect_temporal
from temporal_payloads.codec import UnknownPayloadKey
from temporal_payloads.history import decoded_history
from tests.factories import add_shop, make_cart
from tests.support.smtp import SmtpServer
from tests.support.temporal import running_worker, settings_for_tests, smtp_email
from workflows.client import start_cart_journey
from workflows.payloads import JourneyProgress

K1 = DataKey.model_validate({"id": "k1", "key": new_key()})
K2 = DataKey.model_validate({"id": "k2", "key": new_key()})
# A reminder, a wait long enough to change workers in, a last chance.
TWO_REMINDERS = """\
journey: demo
version: 1
trigger: {inactivity: 1s}
locale: en
conversion_window: 1s
steps:
  - send: {channel: email, template: reminder, id: r1}
  - wait: 4s
  - send: {channel: email, template: last_chance, id: r3}
"""


def _key_ids(history_json: str) -> set[str]:
    # base64 of the key ids, as proto JSON writes metadata values
    return {key for key, b64 in (("k1", "azE="), ("k2", "azI=")) if f'"{b64}"' in history_json}


async def test_a_cart_started_under_k1_finishes_after_the_keys_become_k2_k1(
    dev_server: WorkflowEnvironment,
    session_factory: async_sessionmaker[AsyncSession],
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> None:
    journeys = tmp_path / "journeys"
    shutil.copytree(REPO / "journeys" / "demo", journeys / "demo")
    for version in (journeys / "demo").glob("v*.yaml"):
        version.unlink()
    (journeys / "demo" / "v1.yaml").write_text(TWO_REMINDERS)
    await add_shop(session_factory, shop="demo", key=None)
    before = settings_for_tests(
        temporal_address=dev_server.client.service_client.config.target_host,
        journeys_dir=journeys,
        default_journey="demo",
        smtp_url=smtp_server.url,
        payload_keys=[K1],
    )
    after = before.model_copy(update={"payload_keys": [K2, K1]})
    providers = smtp_email(smtp_server.url)

    old_client = await connect_temporal(before)
    handle = await start_cart_journey(
        old_client, task_queue=before.task_queue, cart_id="rot-1", cart=make_cart(shop="demo")
    )
    async with running_worker(
        old_client, settings=before, session_factory=session_factory, providers=providers
    ):
        await smtp_server.wait_for_messages(1, timeout=30)  # r1 went out under k1
    new_client = await connect_temporal(after)
    async with running_worker(
        new_client, settings=after, session_factory=session_factory, providers=providers
    ):
        progress = await asyncio.wait_for(
            new_client.get_workflow_handle(handle.id, result_type=JourneyProgress).result(),
            timeout=60,
        )

    assert [m.message_id for m in progress.messages] == ["r1", "r3"]
    assert len(smtp_server.messages) == 2
    history = await new_client.get_workflow_handle(handle.id).fetch_history()
    assert _key_ids(history.to_json()) == {"k1", "k2"}  # both in one history
    # Dropping k1 too early is a clear error, naming the key and the setting
    only_k2 = await connect_temporal(after.model_copy(update={"payload_keys": [K2]}))
    with pytest.raises(UnknownPayloadKey, match="'k1'.*CARTNUDGE_PAYLOAD_KEYS"):
        await decoded_history(history, only_k2.data_converter)
