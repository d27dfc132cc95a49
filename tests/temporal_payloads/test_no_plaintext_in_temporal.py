"""The promise itself, on the real dev server with its SQLite file: a customer's email,
phone, name and id are nowhere in Temporal in plaintext (the history the CLI shows, the
database file), yet readable through our converter and through the codec server.

The same journey run with CARTNUDGE_PAYLOAD_KEYS=[] finds them in both places, so the
search below can see a leak when there is one.
"""

from __future__ import annotations

import asyncio
import base64
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from devstack.stack import temporal_dev_server
from settings import Settings
from temporal_connection import connect_temporal
from tests.factories import add_shop, make_customer
from tests.support.api import cart_body, http_client, served
from tests.support.histories import signalled_carts
from tests.support.smtp import SmtpServer
from tests.support.temporal import required_binary, running_worker, settings_for_tests, smtp_email
from workflows import search_attributes as sa
from workflows.client import cart_workflow_id
from workflows.payloads import JourneyProgress

REPO = Path(__file__).resolve().parents[2]
API_KEY = "codec-proof-api-key"
CODEC_TOKEN = "codec-proof-token-0123456789abcdef"
CUSTOMER_ID = "cust-proof-7731"
EMAIL = "zeynep.proofmail@example.com"
PHONE = "+905557770311"
NAME = "Zeynepproofname"
PERSONAL = (EMAIL, PHONE, NAME, CUSTOMER_ID)
# One reminder, a second after the last change; then the journey is over.
ONE_REMINDER = """\
journey: demo
version: 1
trigger: {inactivity: 1s}
locale: en
conversion_window: 1s
steps:
  - send: {channel: email, template: reminder, id: r1}
"""


def journeys_folder(tmp_path: Path) -> Path:
    journeys = tmp_path / "journeys"
    shutil.copytree(REPO / "journeys" / "demo", journeys / "demo")
    for later in (journeys / "demo").glob("v*.yaml"):
        later.unlink()
    (journeys / "demo" / "v1.yaml").write_text(ONE_REMINDER)
    return journeys


@dataclass
class Run:
    settings: Settings
    client: Client
    address: str
    base_url: str  # the API, served on loopback (its codec server too)
    workflow_id: str


@asynccontextmanager
async def a_journey_run(
    tmp_path: Path,
    smtp_server: SmtpServer,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    **overrides: object,
) -> AsyncIterator[Run]:
    """One cart through the API, to its end, on a dev server writing `temporal.db`; yields
    while the server and the API still run."""
    await add_shop(session_factory, shop="demo", key=API_KEY)
    async with temporal_dev_server(tmp_path, db_file=tmp_path / "temporal.db") as address:
        settings = settings_for_tests(
            temporal_address=address,
            journeys_dir=journeys_folder(tmp_path),
            default_journey="demo",
            smtp_url=smtp_server.url,
            codec_token=CODEC_TOKEN,
            **overrides,
        )
        client = await connect_temporal(settings)
        app = create_app(settings, temporal_client=client, engine=db_engine)
        async with (
            app.router.lifespan_context(app),
            served(app) as base_url,
            http_client(app, Authorization=f"Bearer {API_KEY}") as api,
            running_worker(
                client,
                settings=settings,
                session_factory=session_factory,
                providers=smtp_email(smtp_server.url),
            ),
        ):
            customer = make_customer(id=CUSTOMER_ID, email=EMAIL, phone=PHONE, first_name=NAME)
            response = await api.put(
                "/v1/carts/proof-1", json=cart_body(shop="demo", customer=customer)
            )
            assert response.status_code == 202, response.text
            workflow_id = cart_workflow_id("demo", "proof-1")
            handle = client.get_workflow_handle(workflow_id, result_type=JourneyProgress)
            progress = await asyncio.wait_for(handle.result(), timeout=60)
            assert [m.message_id for m in progress.messages] == ["r1"]
            [sent] = await smtp_server.wait_for_messages(1)
            assert sent["To"].addresses[0].addr_spec == EMAIL  # the journey did see the customer
            yield Run(settings, client, address, base_url, workflow_id)


async def workflow_show(run: Run, *codec: str) -> str:
    """`temporal workflow show -o json`, the CLI from the venv, as an engineer would run it;
    with every payload's data (base64 in that JSON) added decoded, as anyone can read it."""
    cli = await asyncio.create_subprocess_exec(
        required_binary("temporal"),
        "workflow", "show",
        "--workflow-id", run.workflow_id,
        "--address", run.address,
        "--namespace", run.settings.temporal_namespace,
        "--output", "json",
        *codec,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(cli.communicate(), timeout=60)
    assert cli.returncode == 0, err.decode()
    shown = out.decode()
    return "\n".join([shown, *_payload_data(json.loads(shown))])


def _payload_data(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "data" and isinstance(value, str):
                yield base64.b64decode(value).decode(errors="replace")
            else:
                yield from _payload_data(value)
    elif isinstance(node, list):
        for item in node:
            yield from _payload_data(item)


def database_bytes(tmp_path: Path) -> bytes:
    """The dev server's SQLite file with its write-ahead log (what is not checkpointed yet)."""
    files = sorted(tmp_path.glob("temporal.db*"))
    assert files, "the dev server wrote no database file"
    return b"".join(path.read_bytes() for path in files)


async def test_the_customer_is_nowhere_in_temporal_in_plaintext_yet_readable_with_the_codec(
    tmp_path: Path,
    smtp_server: SmtpServer,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with a_journey_run(tmp_path, smtp_server, db_engine, session_factory) as run:
        raw = await workflow_show(run)
        decoded = await workflow_show(
            run,
            "--codec-endpoint", f"{run.base_url}/codec",
            "--codec-auth", f"Bearer {CODEC_TOKEN}",
        )  # fmt: skip
        [cart] = await signalled_carts(run.client, run.workflow_id)
        described = await run.client.get_workflow_handle(run.workflow_id).describe()
    stored = database_bytes(tmp_path)

    assert "YmluYXJ5L2VuY3J5cHRlZA==" in raw  # base64 of binary/encrypted: sealed payloads
    assert run.workflow_id.encode() in stored  # the search below reads the right file
    for secret in PERSONAL:
        assert secret not in raw, f"{secret} in the history"
        assert secret.encode() not in stored, f"{secret} in the dev server's database"
    for secret in (EMAIL, PHONE, NAME):
        assert secret in decoded, f"{secret} not readable through the codec server"
    assert (cart.customer.email, cart.customer.phone) == (EMAIL, PHONE)
    # Found by a keyed digest, not by the customer's id
    key = sa.customer_key(
        run.settings.secret_key.get_secret_value(), shop="demo", customer_id=CUSTOMER_ID
    )
    assert described.typed_search_attributes[sa.CUSTOMER_KEY] == key
    assert "CustomerId" not in described.search_attributes


async def test_without_keys_the_same_search_finds_the_customer(
    tmp_path: Path,
    smtp_server: SmtpServer,
    db_engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with a_journey_run(
        tmp_path, smtp_server, db_engine, session_factory, payload_keys=[]
    ) as run:
        raw = await workflow_show(run)
    stored = database_bytes(tmp_path)

    for secret in (EMAIL, PHONE, NAME):
        assert secret in raw
        assert secret.encode() in stored
