"""Full journeys per second one box sustains, and the worker's memory while carts sleep.

    python -m devstack.bench_journeys [--sleeping-carts 20000]     (`make bench`)

journeys     The whole stack, real and local, as `make bench` has it (devstack/stack.py):
             PostgreSQL, the Temporal dev server on a SQLite file in WAL mode, the worker
             and the API as processes, a real SMTP server (aiosmtpd) counting what it gets.
             The journey is the bench's own (tests/bench/journeys/bench): abandoned_cart v1
             with waits of a second or two and the shipped templates, frequency caps off
             (as `make run` has them), so every cart gets its three emails and closes:
             abandoned 1 s after its PUT, r1, the 2 s wait_for nobody clicks in, r2b, 1 s,
             r3, the 1 s conversion window, closed. IN_FLIGHT carts are in a journey at any
             moment (closed loop: a cart PUT as soon as one closes; the lanes join one by
             one over the warm-up), more than the box finishes, so it works flat out as
             under a shop's steady stream of abandoned carts. After WARM_UP seconds, STEADY
             seconds are counted:
               journeys/s  journeys whose workflow closed in the steady period, over it;
               sends/s     mails the SMTP server took in it, over it;
               p50/p99     of the journeys started in it, from the moment their PUT was
                           sent to their workflow's close time as the server stored it
                           (one machine, one clock), nearest rank. The box being
                           saturated, they are about in_flight / journeys_per_s (Little's
                           law): `--in-flight` lower than the box holds times them unqueued.
             The baseline is the journey's own waits (`floor_s`, read from the published
             journey: inactivity, the wait_for's `within`, the waits, the conversion
             window): no journey can close sooner, so p50 minus it is what the box added.
             Then the carts in flight are let finish: every journey started must close as
             expired with its three emails sent, once each (the SMTP server's count per
             recipient and the outbox say so), or the run fails.
sleeping     `--sleeping-carts N` (0: none) then runs devstack/bench_scale.py at N carts
             with `--watching` (asleep watching for abandonment, no reminder: 20,000 carts
             take the minutes their PUTs take, 10-20 on 2 busy cores, where 20,000 first
             reminders take an hour or more; `make bench-scale` is that hour) and prints its
             `sleeping:` line:
             the worker's RSS with N carts asleep and with none, in the same run.

A table each, then the lines
`journeys: journeys_per_s=J sends_per_s=S p50_start_to_close_s=P50 p99_start_to_close_s=P99
floor_s=F in_flight=N steady_s=T events_per_journey=E bytes_per_journey=B` and
`sleeping: ...` (devstack/bench_scale.py). Speed is reported, never judged by the exit
status: 0 unless the stack failed or a journey did not end as it should.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import GetClusterInfoRequest
from temporalio.client import Client, WorkflowExecutionStatus

from devstack.bench import SHOP, BenchError, Latencies, cart_body
from devstack.bench_scale import Shop, Watched, child_pid, run_bench_scale
from devstack.processes import REPO, free_port
from devstack.shops import shop_with_new_key, stack_cipher
from devstack.stack import (
    StackError,
    WorkerProcess,
    api_process,
    postgres,
    prepare_bench_process,
    publish_journeys,
    smtp_server,
    stack_env,
    temporal_dev_server,
)
from journey_schema.journey_files import load_draft
from journey_schema.models import JourneyVersion, WaitForStep, WaitStep
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from storage.outbox import OutboxState, count_by_state
from temporal_connection import connect_temporal
from workflows.client import cart_workflow_id

log = logging.getLogger("cartnudge.bench_journeys")

JOURNEY = "bench"
JOURNEYS = REPO / "tests" / "bench" / "journeys"  # the bench journey, without templates
TEMPLATES = REPO / "journeys" / "abandoned_cart" / "templates"  # the shipped mails
EMAILS_PER_JOURNEY = 3  # r1, r2b, r3: nobody clicks
# Carts in a journey at once: more than the box can hold, measured at 2.4 journeys/s on 2
# busy cores (5 s of waits each: 12 would do there), so the count is the box's, not ours.
IN_FLIGHT = 32
WARM_UP = 20.0  # seconds before the count starts: caches, pools, the first timers firing
STEADY = 60.0  # seconds counted
DRAIN_TIMEOUT = 300.0  # for the journeys in flight when the count stops
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"


# --- the report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Journey:
    """One cart's journey: when its PUT was sent and when its workflow closed (epoch s)."""

    cart: str
    started: float
    closed: float

    @property
    def seconds(self) -> float:
        return self.closed - self.started


@dataclass(frozen=True)
class JourneysReport:
    in_flight: int
    warm_up: float
    steady: float
    floor: float  # seconds of waits the journey has by design
    counted_from: float  # epoch seconds: the steady period's start
    journeys: tuple[Journey, ...]  # every journey started, each closed
    mails: tuple[float, ...]  # epoch seconds each mail reached the SMTP server
    outbox: dict[OutboxState, int]
    events: int  # history events of one journey
    history_bytes: int  # its serialized history
    cpu: tuple[tuple[str, float], ...]  # (process, CPU seconds it used in the steady period)
    server: str  # the Temporal server: its persistence store and history shards
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]
    wall_seconds: float

    @property
    def counted_to(self) -> float:
        return self.counted_from + self.steady

    def _in_steady(self, at: float) -> bool:
        return self.counted_from <= at < self.counted_to

    @property
    def closed_in_steady(self) -> int:
        return sum(1 for journey in self.journeys if self._in_steady(journey.closed))

    @property
    def mails_in_steady(self) -> int:
        return sum(1 for at in self.mails if self._in_steady(at))

    @property
    def journeys_per_second(self) -> float:
        return self.closed_in_steady / self.steady

    @property
    def sends_per_second(self) -> float:
        return self.mails_in_steady / self.steady

    @property
    def latency(self) -> Latencies:
        """Start to close of the journeys started in the steady period, in ms."""
        started = [j.seconds * 1000 for j in self.journeys if self._in_steady(j.started)]
        return Latencies(tuple(started))

    def cpu_per_journey(self) -> list[tuple[str, float]]:
        """CPU seconds each process spent per journey closed in the steady period."""
        closed = max(self.closed_in_steady, 1)
        return [(name, used / closed) for name, used in self.cpu]

    @property
    def summary(self) -> str:
        latency = self.latency
        return (
            f"journeys: journeys_per_s={self.journeys_per_second:.2f}"
            f" sends_per_s={self.sends_per_second:.2f}"
            f" p50_start_to_close_s={latency.p(50) / 1000:.2f}"
            f" p99_start_to_close_s={latency.p(99) / 1000:.2f}"
            f" floor_s={self.floor:g}"
            f" in_flight={self.in_flight}"
            f" steady_s={self.steady:g}"
            f" events_per_journey={self.events}"
            f" bytes_per_journey={self.history_bytes}"
        )

    def table(self) -> str:
        latency = self.latency
        before = ", ".join(f"{value:.1f}" for value in self.load_before)
        after = ", ".join(f"{value:.1f}" for value in self.load_after)
        states = ", ".join(f"{count} {state.value}" for state, count in self.outbox.items())
        return "\n".join(
            [
                f"cartnudge bench-journeys on {os.cpu_count()} cores (load average before:"
                f" {before}; after: {after}): Temporal dev server (SQLite, WAL), worker, API,"
                " PostgreSQL, SMTP server, one box",
                f"  journey {JOURNEY} (tests/bench/journeys): {EMAILS_PER_JOURNEY} emails,"
                f" {self.floor:g} s of waits; {self.in_flight} carts in a journey at once",
                f"  counted over {self.steady:g} s after a {self.warm_up:g} s warm-up:",
                f"    journeys closed   {self.closed_in_steady:6d}"
                f"   {self.journeys_per_second:6.2f}/s",
                f"    emails sent       {self.mails_in_steady:6d}   {self.sends_per_second:6.2f}/s",
                f"    start -> closed   {latency.line()}"
                f"   (floor {self.floor * 1000:.0f} ms: the journey's own waits)",
                f"    the box added     p50 {latency.p(50) - self.floor * 1000:.0f} ms,"
                f" p99 {latency.p(99) - self.floor * 1000:.0f} ms over the floor",
                f"  every journey started ({len(self.journeys)}, warm-up and drain included)"
                f" closed; {len(self.mails)} mails; outbox {states}",
                f"  one journey's history: {self.events} events, {self.history_bytes} bytes;"
                f" Temporal server: {self.server}",
                "  CPU per journey (steady period): "
                + ", ".join(
                    f"{name} {used * 1000:.0f} ms" for name, used in self.cpu_per_journey()
                ),
                f"  wall time {self.wall_seconds:.0f}s",
            ]
        )


# --- the journey and the stack --------------------------------------------------------------


def bench_journeys(folder: Path) -> Path:
    """The bench journey with the shipped templates beside it, under `folder`; the folder."""
    target = folder / "journeys"
    shutil.copytree(JOURNEYS / JOURNEY, target / JOURNEY)
    shutil.copytree(TEMPLATES, target / JOURNEY / "templates")
    return target


def floor_of(journey: JourneyVersion) -> float:
    """Seconds a journey that nobody clicks in or buys from waits by design: the trigger,
    each top-level wait and wait_for's `within`, the conversion window."""
    waits = timedelta()
    for step in journey.steps:
        if isinstance(step, WaitStep):
            waits += step.wait
        elif isinstance(step, WaitForStep):
            waits += step.wait_for.within
    return (journey.trigger.inactivity + waits + journey.conversion_window).total_seconds()


class TimedSink:
    """An SMTP server's handler that keeps when each mail came, and to whom."""

    def __init__(self) -> None:
        self.at: list[float] = []  # appended in the SMTP thread, read after the run
        self.recipients: Counter[str] = Counter()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        now = time.time()
        for recipient in envelope.rcpt_tos:
            self.at.append(now)
            self.recipients[recipient] += 1
        return "250 Message accepted for delivery"


@dataclass
class JourneysStack:
    api: httpx.AsyncClient
    client: Client
    worker: WorkerProcess
    database_url: str


@asynccontextmanager
async def journeys_stack(
    *, logs: Path, scratch: Path, journeys: Path, sink: TimedSink, in_flight: int
) -> AsyncIterator[JourneysStack]:
    """The stack of `make bench` with the bench journey published and the frequency caps
    off: start_stack's parts, as devstack/chaos.py puts them together for its own journey."""
    async with AsyncExitStack() as stack:
        database_url = stack.enter_context(postgres("cartnudge_bench_journeys"))
        await upgrade_database(database_url)
        api_key = await shop_with_new_key(
            database_url, SHOP, cipher=stack_cipher(), currency="EUR", locale="en"
        )
        await publish_journeys(
            Settings(database_url=database_url, journeys_dir=journeys, secret_key=SECRET_KEY)
        )
        temporal_address = await stack.enter_async_context(
            temporal_dev_server(logs, db_file=scratch / "temporal.db")
        )
        smtp_url = stack.enter_context(smtp_server(sink))
        api_port = free_port()
        env = stack_env(
            database_url=database_url,
            temporal_address=temporal_address,
            smtp_url=smtp_url,
            api_port=api_port,
            task_queue=f"bench-journeys-{uuid.uuid4().hex[:8]}",
            secret_key=SECRET_KEY,
        ) | {
            "CARTNUDGE_JOURNEYS_DIR": str(journeys),
            "CARTNUDGE_DEFAULT_JOURNEY": JOURNEY,
            # caps off, as `make run` has them: every message is due when the journey says
            "CARTNUDGE_EMAIL_CAP_HOURS": "0",
        }
        worker = WorkerProcess(env, logs)
        worker.start()
        stack.callback(worker.stop)
        api_url = stack.enter_context(api_process(env, api_port, logs))
        client = await connect_temporal(Settings(temporal_address=temporal_address))
        limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
        api = await stack.enter_async_context(
            httpx.AsyncClient(
                base_url=api_url,
                headers={"Authorization": f"Bearer {api_key}"},
                limits=limits,
                timeout=30,
            )
        )
        yield JourneysStack(api, client, worker, database_url)


# --- the run ---------------------------------------------------------------------------------


async def run_bench_journeys(
    *,
    logs: Path,
    in_flight: int = IN_FLIGHT,
    warm_up: float = WARM_UP,
    steady: float = STEADY,
) -> JourneysReport:
    """Bring the stack up, keep `in_flight` journeys going for `warm_up` + `steady` seconds,
    let them finish, check every one, tear the stack down; `logs` receives the logs."""
    started = time.monotonic()
    load_before = os.getloadavg()
    sink = TimedSink()
    async with AsyncExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="journeys-")))
        journeys_dir = bench_journeys(scratch)
        floor = floor_of(load_draft(journeys_dir, JOURNEY, 1).definition)
        running = await stack.enter_async_context(
            journeys_stack(
                logs=logs, scratch=scratch, journeys=journeys_dir, sink=sink, in_flight=in_flight
            )
        )
        log.info("stack up in %.1fs", time.monotonic() - started)
        shop = Shop(running.api, body=cart_body)
        numbers = iter(range(10**9))
        journeys: list[Journey] = []
        counted_from = time.time() + warm_up
        stop_at = counted_from + steady

        async def one_journey() -> None:
            cart = f"j{next(numbers):06d}"
            sent = time.time()  # the server stamps its close time with this same clock
            await shop.put(cart)
            handle = running.client.get_workflow_handle(cart_workflow_id(SHOP, cart))
            result = await handle.result()  # a long poll, returning once the close is stored
            description = await handle.describe()
            outcome = result.get("outcome") if isinstance(result, dict) else None
            if description.status != WorkflowExecutionStatus.COMPLETED or outcome != "expired":
                raise BenchError(f"{handle.id} ended {description.status} ({outcome})")
            assert description.close_time is not None
            journeys.append(Journey(cart, sent, description.close_time.timestamp()))

        async def lane(number: int) -> None:
            # Lanes join one by one over the warm-up: started together, they would go on in
            # waves, every journey due at once, and the count would see whole waves or none.
            await asyncio.sleep(number * warm_up / in_flight)
            while time.time() < stop_at:
                await one_journey()

        async def progress() -> None:
            while True:
                await asyncio.sleep(10)
                running.worker.check_alive()
                log.info("%d journeys closed, %d mails", len(journeys), len(sink.at))

        watched = Watched(
            scratch / "temporal.db",
            child_pid("worker.py"),
            child_pid(str(scratch / "temporal.db")),
            child_pid("uvicorn"),
        )
        cpu_at: list[dict[str, float]] = []

        async def sample_cpu() -> None:
            for at in (counted_from, stop_at):
                await asyncio.sleep(max(0.0, at - time.time()))
                cpu_at.append(dict(watched.footprint(0).cpu))

        watching = asyncio.create_task(progress())
        sampling = asyncio.create_task(sample_cpu())
        try:
            await asyncio.wait_for(
                asyncio.gather(*(lane(number) for number in range(in_flight))),
                timeout=warm_up + steady + DRAIN_TIMEOUT,
            )
        except TimeoutError:
            raise BenchError(
                f"the journeys in flight did not close within {DRAIN_TIMEOUT:.0f}s"
            ) from None
        finally:
            watching.cancel()
            if not sampling.done():  # the lanes failed before the steady period ended
                sampling.cancel()
        await sampling
        running.worker.check_alive()
        load_after = os.getloadavg()
        info = await running.client.workflow_service.get_cluster_info(GetClusterInfoRequest())

        engine = create_engine(running.database_url)
        stack.push_async_callback(engine.dispose)
        async with create_session_factory(engine)() as session:
            outbox = await count_by_state(session)
        expected = len(journeys) * EMAILS_PER_JOURNEY
        if outbox != {OutboxState.SENT: expected}:
            raise BenchError(f"the outbox holds {outbox}, not {expected} sent")
        twice = [who for who, count in sink.recipients.items() if count != EMAILS_PER_JOURNEY]
        if len(sink.at) != expected or twice:
            raise BenchError(f"the SMTP server got {len(sink.at)} mails, not {expected}: {twice}")
        handle = running.client.get_workflow_handle(cart_workflow_id(SHOP, journeys[-1].cart))
        history = await handle.fetch_history()
    return JourneysReport(
        in_flight=in_flight,
        warm_up=warm_up,
        steady=steady,
        floor=floor,
        counted_from=counted_from,
        journeys=tuple(journeys),
        mails=tuple(sink.at),
        outbox=outbox,
        events=len(history.events),
        history_bytes=History(events=history.events).ByteSize(),
        cpu=tuple((name, used - cpu_at[0][name]) for name, used in cpu_at[1].items()),
        server=f"{info.persistence_store}, {info.history_shard_count} history shard(s)",
        load_before=load_before,
        load_after=load_after,
        wall_seconds=time.monotonic() - started,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--in-flight", type=int, default=IN_FLIGHT, help="journeys at once")
    parser.add_argument("--warm-up", type=float, default=WARM_UP, help="seconds not counted")
    parser.add_argument("--steady", type=float, default=STEADY, help="seconds counted")
    parser.add_argument(
        "--sleeping-carts",
        type=int,
        default=0,
        help="then this many carts asleep, devstack/bench_scale.py --watching (0: not)",
    )
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args()
    prepare_bench_process()
    with tempfile.TemporaryDirectory(prefix="cartnudge-bench-journeys-") as scratch:
        logs = args.logs or Path(scratch)
        try:
            (logs / "journeys").mkdir(parents=True, exist_ok=True)
            report = asyncio.run(
                run_bench_journeys(
                    logs=logs / "journeys",
                    in_flight=args.in_flight,
                    warm_up=args.warm_up,
                    steady=args.steady,
                )
            )
            print(report.table())
            print(report.summary)
            if args.sleeping_carts > 0:
                (logs / "sleeping").mkdir(parents=True, exist_ok=True)
                scale = asyncio.run(
                    run_bench_scale(
                        logs=logs / "sleeping", carts=args.sleeping_carts, watching=True
                    )
                )
                print(scale.table())
                print(scale.summary)
                print(scale.sleeping)
        except StackError as err:  # BenchError too
            print(f"bench-journeys: could not run: {err}", file=sys.stderr)
            sys.exit(2)


if __name__ == "__main__":
    main()
