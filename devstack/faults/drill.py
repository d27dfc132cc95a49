"""The stack every fault drill runs on, the shop that feeds it, and the final count.

DrillStack   PostgreSQL (halt/resume), the Temporal dev server on a file (kill/start), an
             SMTP server and a Twilio stub behind switches that refuse, the worker, the API;
             brought up once, the drills run on it one after the other
Round        one drill on it: carts no other drill used, and what arrived meanwhile
Shop         PUTs the chaos carts like Shopify: every 503 retried after its Retry-After,
             every answer kept (status, Retry-After, milliseconds)
HealthWatch  polls /healthz during an outage: which dependency it named
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from devstack.chaos import (
    SHOP,
    STEPS,
    TWILIO_SID,
    TWILIO_TOKEN,
    Arrival,
    Arrivals,
    SmtpCounter,
    cart,
    cart_id,
    customer_id,
    finished_customers,
    outbox_counts,
    outbox_rows,
    publish_chaos_journey,
    settings_env,
    sms_arrivals,
    tally,
)
from devstack.faults.report import DrillReport
from devstack.postgres import PostgresServer, find_postgres_bin_dir
from devstack.processes import free_port
from devstack.shops import shop_with_new_key, stack_cipher
from devstack.sms_stub import SmsStub
from devstack.stack import DevServer, StackError, WorkerProcess, api_process, smtp_server
from storage.carts import stored_cart_ids
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database

log = logging.getLogger("cartnudge.faults")

SHOP_CONCURRENCY = 20
SLOW_503_MS = 1000  # what the drills count as a 503 slower than promised
REFUSED = "421 4.3.2 Service not available, closing transmission channel"


class RefusingSmtp(SmtpCounter):
    """The counting SMTP server, answering 421 to MAIL FROM while `down` (before any data:
    the sender knows the message did not go out)."""

    def __init__(self, arrivals: Arrivals) -> None:
        super().__init__(arrivals)
        self.down = False
        self.refusals = 0

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, mail_options: list[str]
    ) -> str:
        if self.down:
            self.refusals += 1
            return REFUSED
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"


class RefusingSmsStub(SmsStub):
    """The Twilio stub, answering 503 with Retry-After while `down`, as Twilio does in an
    outage (in the stub's own server: no hop in between that could fail by itself)."""

    def __init__(self, *, retry_after: int = 5, **stub: Any) -> None:
        self.down = False
        self.refusals = 0
        self.retry_after = retry_after
        super().__init__(**stub)

    def app(self) -> Starlette:
        app = super().app()

        async def refuse(request: Request, call_next: RequestResponseEndpoint) -> Response:
            if not self.down:
                return await call_next(request)
            self.refusals += 1
            return JSONResponse(
                {"code": 20503, "message": "Service unavailable", "status": 503},
                status_code=503,
                headers={"Retry-After": str(self.retry_after)},
            )

        app.add_middleware(BaseHTTPMiddleware, dispatch=refuse)
        return app


@dataclass(frozen=True)
class Answer:
    cart: int
    status: int | None  # None: no HTTP answer (connection refused, timeout)
    retry_after: str | None
    ms: float


@dataclass
class Shop:
    """The shop backend: PUTs each cart until a 2xx, honouring Retry-After like Shopify."""

    api: httpx.AsyncClient
    give_up_after: float  # seconds per cart
    answers: list[Answer] = field(default_factory=list)
    acknowledged: set[int] = field(default_factory=set)
    # requests in flight at once (a wait for Retry-After holds none)
    _gate: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SHOP_CONCURRENCY))

    async def deliver(self, i: int) -> None:
        deadline = time.monotonic() + self.give_up_after
        while time.monotonic() < deadline:
            try:
                async with self._gate:
                    started = time.monotonic()
                    response = await self.api.put(f"/v1/carts/{cart_id(i)}", json=cart(i))
            except httpx.TransportError:
                self.answers.append(Answer(i, None, None, (time.monotonic() - started) * 1000))
                await asyncio.sleep(1)
                continue
            retry_after = response.headers.get("retry-after")
            self.answers.append(
                Answer(i, response.status_code, retry_after, (time.monotonic() - started) * 1000)
            )
            if response.is_success:
                self.acknowledged.add(i)
                return
            wait = float(retry_after) if retry_after and retry_after.isdigit() else 5.0
            await asyncio.sleep(wait)

    async def steady(self, first: int, end: int, *, per_second: float) -> None:
        """Hand in carts `first` .. `end`-1 at `per_second`, each retried until taken."""
        tasks = []
        for i in range(first, end):
            tasks.append(asyncio.create_task(self.deliver(i)))
            await asyncio.sleep(1 / per_second)
        await asyncio.gather(*tasks)

    @property
    def refused(self) -> list[Answer]:
        return [a for a in self.answers if a.status == 503]

    @property
    def other_errors(self) -> list[Answer]:
        return [
            a for a in self.answers if a.status is not None and a.status >= 300 and a.status != 503
        ]


@dataclass
class HealthWatch:
    """Polls /healthz while `watching`: each answer's named-down dependencies."""

    api: httpx.AsyncClient
    seen: list[tuple[str, ...]] = field(default_factory=list)
    slowest_ms: float = 0

    async def during(self, outage: Awaitable[None]) -> None:
        task = asyncio.ensure_future(outage)
        while not task.done():
            started = time.monotonic()
            try:
                response = await self.api.get("/healthz")
            except httpx.TransportError:
                self.seen.append(("no answer",))
            else:
                body = response.json()
                self.seen.append(
                    tuple(name for name in ("database", "temporal") if body.get(name) != "ok")
                )
            self.slowest_ms = max(self.slowest_ms, (time.monotonic() - started) * 1000)
            await asyncio.wait({task}, timeout=0.5)
        await task

    @property
    def named(self) -> str:
        """What it named down most often during the outage ("none" if never)."""
        down = [names for names in self.seen if names]
        if not down:
            return "none"
        return "+".join(Counter(down).most_common(1)[0][0])


class DrillStack:
    """Everything a drill needs, brought up in `stack` (an AsyncExitStack)."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.arrivals = Arrivals()
        self.smtp = RefusingSmtp(self.arrivals)
        self.sms = RefusingSmsStub(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)
        self.started = time.monotonic()
        self._next_cart = 0

    def arrivals_now(self) -> list[Arrival]:
        return self.smtp.arrivals.snapshot()

    async def start(self, stack: AsyncExitStack) -> None:
        bin_dir = find_postgres_bin_dir()
        if bin_dir is None:
            raise StackError("no PostgreSQL binaries in /usr/lib/postgresql/*/bin")
        self.postgres = stack.enter_context(PostgresServer(bin_dir, database="cartnudge_faults"))
        self.database_url = self.postgres.url
        await upgrade_database(self.database_url)
        await publish_chaos_journey(self.database_url)
        api_key = await shop_with_new_key(self.database_url, SHOP, cipher=stack_cipher())
        self.temporal = DevServer(self.logs, self.logs / "temporal.db")
        await self.temporal.start()
        stack.callback(self.temporal.stop)
        smtp_url = stack.enter_context(smtp_server(self.smtp))
        stack.enter_context(self.sms)
        api_port = free_port()
        env = settings_env(
            database_url=self.database_url,
            temporal_address=self.temporal.address,
            smtp_url=smtp_url,
            sms_url=self.sms.url,
            api_port=api_port,
            # the worker keeps its hand-over journal across the provider drill's restarts
            journal_dir=self.logs / "send-journal",
        )
        self.engine = create_engine(self.database_url)
        stack.push_async_callback(self.engine.dispose)
        self.worker = WorkerProcess(env, self.logs)
        self.worker.start()
        stack.callback(self.worker.stop)
        # on a box busy with other work the API takes a while to import and answer
        api_url = stack.enter_context(api_process(env, api_port, self.logs, healthy_within=120))
        self.api = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=api_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=30
            )
        )
        log.info("stack up in %.1fs", time.monotonic() - self.started)

    def begin(self, carts: int) -> Round:
        """The next drill's carts: indices no earlier drill on this stack used."""
        self.smtp.arrivals = Arrivals()  # each drill counts its own arrivals
        drill = Round(self, first=self._next_cart, end=self._next_cart + carts)
        self._next_cart = drill.end
        return drill


@dataclass
class Round:
    """One drill on the stack: its carts `first` .. `end`-1, and what arrived meanwhile."""

    stack: DrillStack
    first: int
    end: int
    started: float = field(default_factory=time.monotonic)
    sms_before: int = 0

    def __post_init__(self) -> None:
        self.sms_before = self.stack.sms.count

    @property
    def carts(self) -> int:
        return self.end - self.first

    def delivered(self) -> int:
        return len(self.stack.arrivals_now()) + self.stack.sms.count - self.sms_before

    async def wait_until(self, condition: Callable[[], bool], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            self.stack.worker.check_alive()
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)

    async def finished(self) -> set[str]:
        """The customers of this drill whose journey recorded an outcome."""
        mine = {customer_id(i) for i in range(self.first, self.end)}
        return await finished_customers(self.stack.engine) & mine

    async def journeys_finish(self, *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.stack.worker.check_alive()
            if len(await self.finished()) >= self.carts:
                return
            await asyncio.sleep(0.5)

    async def report(
        self,
        drill: str,
        shop: Shop,
        *,
        outage_seconds: float,
        healthz: str = "",
        refusals: int = 0,
        notes: tuple[str, ...] = (),
    ) -> DrillReport:
        engine = self.stack.engine
        done = await self.finished()
        rows = await outbox_rows(engine)
        outbox = await outbox_counts(engine)
        async with create_session_factory(engine)() as session:
            stored = await stored_cart_ids(session, shop=SHOP)
        mine = {customer_id(i) for i in range(self.first, self.end)}
        arrivals = [
            arrival  # an earlier drill's straggler is that drill's business
            for arrival in self.stack.arrivals_now()
            + sms_arrivals(self.stack.sms)[self.sms_before :]
            if arrival.marker is None or arrival.marker[1] in mine
        ]
        # tally counts carts 0 .. end-1: the earlier drills' carts are neither among these
        # arrivals nor finished here, so each of their messages is `outstanding`
        counted = tally(arrivals, self.end, done, rows)
        refused = shop.refused
        return DrillReport(
            drill=drill,
            carts=self.carts,
            finished=len(done),
            duplicates=counted.duplicates,
            lost=counted.lost,
            outstanding=counted.outstanding - len(STEPS) * self.first,
            unexpected=counted.unexpected,
            refused=len(refused),
            no_retry_after=sum(1 for a in refused if not a.retry_after),
            slowest_503_ms=max((a.ms for a in refused), default=0.0),
            slow_503s=sum(1 for a in refused if a.ms > SLOW_503_MS),
            other_errors=len(shop.other_errors),
            unstored_2xx=sum(1 for i in shop.acknowledged if cart_id(i) not in stored),
            unacknowledged=self.carts - len(shop.acknowledged),
            outage_seconds=outage_seconds,
            wall_seconds=time.monotonic() - self.started,
            outbox=outbox,
            healthz=healthz,
            refusals=refusals,
            notes=notes,
        )
