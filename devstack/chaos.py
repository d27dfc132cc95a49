"""Exactly-once delivery under crashes: carts in flight, the worker killed with SIGKILL mid-send.

    python -m devstack.chaos --carts 1000 --kills 8      (`make chaos`)

Everything is real and local: PostgreSQL (devstack/postgres.py), the Temporal dev server, the
API and the worker as processes, an SMTP server (aiosmtpd) and a Twilio stub
(devstack/sms_stub.py) that count what arrives. Every cart gets the chaos journey
(tests/chaos/journeys: email r1, sms r2, email r3, a second apart), a unique email address and
phone number, and consent to both. While the messages go out the worker is killed K times at
random moments, each time once the receivers' count has grown since the last restart, and a
new one started a moment later. When every journey has recorded its outcome, the receivers'
counts say what happened to each of the 3 messages per cart:

    duplicates  arrivals beyond the first of one message
    lost        messages of finished journeys that never arrived
    unexpected  arrivals that are none of the due messages (wrong recipient, unknown marker)

Messages are told apart by the marker the journey's templates print ("r2 for c00042"), so a
repeat is caught whatever Message-ID or provider id it carries. The outbox's own view (rows
`sent`, `uncertain`, `failed`...) is reported beside it, with what became of the sends a kill
cut off: email goes over SMTP in two phases, so only a kill inside DATA leaves a row
`uncertain` (the mail most likely out); the stub calls the API back with Twilio's signed
status callbacks, so an SMS cut off is settled `sent` by its event, or resent once after
PROVIDER_SILENCE_MINUTES when the stub never had it.

The last line is `chaos: carts=N kills=K duplicates=D lost=L`; the exit status is 0 only when
every journey finished with nothing duplicated, lost or unexpected.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import logging
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from devstack.carts import cart_body
from devstack.processes import REPO, free_port
from devstack.shops import shop_with_new_key, stack_cipher
from devstack.sms_stub import SmsStub
from devstack.stack import (
    StackError,
    WorkerProcess,
    api_process,
    postgres,
    smtp_server,
    stack_env,
    temporal_dev_server,
)
from journey_schema.providers import Capabilities
from releases.quick_start import publish_and_activate
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from storage.outbox import CutOffCounts, OutboxState, all_entries, count_by_state, count_cut_offs
from storage.outcomes import count_outcomes, finished_cart_ids
from workflows.payloads import Channel

log = logging.getLogger("cartnudge.chaos")

JOURNEYS_DIR = REPO / "tests" / "chaos" / "journeys"
SHOP = "chaos"
STEPS = {"r1": "email", "r2": "sms", "r3": "email"}  # what the chaos journey sends, per cart
# The journey's templates print "<step> for <customer id>" in every subject and SMS body.
MARKER = re.compile(r"\b(r\d+) for (c\d+)\b")
PUT_CONCURRENCY = 20
TWILIO_SID = "AC" + "c4a05" * 6 + "00"
TWILIO_TOKEN = "chaos-twilio-token"
TWILIO_FROM = "+15550100000"
# How long an SMS cut off by a kill waits for the stub's status callback before it is sent
# again (CARTNUDGE_PROVIDER_SILENCE_MINUTES): the stub calls back within a second, so half
# a minute of silence means it never had the message.
PROVIDER_SILENCE_MINUTES = 0.5


class ChaosSetupError(StackError):
    """The carts could not be handed in."""


# --- the report -------------------------------------------------------------------------


@dataclass(frozen=True)
class Kill:
    """One SIGKILL of the worker."""

    at: float  # seconds since the run started
    delivered: int  # arrivals counted at the receivers at that moment (of `due`)
    unsettled: int  # outbox rows left pending or sending by the dead worker
    down_for: float  # seconds until the next worker was started


@dataclass(frozen=True)
class ChaosReport:
    carts: int
    kills: int  # kills that landed while messages were still to send
    due: int  # messages the journeys owe: 3 per cart
    delivered: int  # due messages that arrived at least once
    duplicates: int  # arrivals beyond the first per message
    lost: int  # messages of finished journeys that never arrived
    outstanding: int  # messages of unfinished journeys not arrived (yet): the deadline hit
    unexpected: int  # arrivals that are none of the due messages
    finished: int  # journeys that recorded an outcome
    outbox: dict[OutboxState, int]  # messages table: rows per status
    lost_by_status: dict[str, int]  # the outbox state of each lost message ("no row" too)
    lost_by_channel: dict[str, int]
    lost_reasons: dict[str, int]  # the outbox's reason on each lost message's row
    uncertain_arrived: int  # `uncertain` rows whose message did arrive (once)
    wall_seconds: float
    cut_offs: CutOffCounts  # rows found cut off, settled by an event, resent after silence
    status_callbacks: int = 0  # the Twilio stub's status callbacks the API answered
    kill_log: tuple[Kill, ...] = ()
    arrivals_after_last_restart: int = 0  # what the last worker still delivered

    @property
    def summary(self) -> str:
        return (
            f"chaos: carts={self.carts} kills={self.kills}"
            f" duplicates={self.duplicates} lost={self.lost}"
        )

    @property
    def exactly_once(self) -> bool:
        return (
            self.finished == self.carts
            and self.duplicates == 0
            and self.lost == 0
            and self.unexpected == 0
        )

    def table(self) -> str:
        uncertain = self.outbox.get(OutboxState.UNCERTAIN, 0)
        rows = [
            ("carts", f"{self.carts} ({self.finished} journeys finished)"),
            ("kills", str(self.kills)),
            ("due messages", str(self.due)),
            ("delivered", str(self.delivered)),
            ("duplicates", str(self.duplicates)),
            ("lost", str(self.lost) + _breakdown(self.lost_by_channel, self.lost_by_status)),
            ("unexpected", str(self.unexpected)),
            ("outbox", ", ".join(f"{s} {n}" for s, n in sorted(self.outbox.items())) or "empty"),
            (
                "uncertain",
                f"{uncertain} rows, {self.uncertain_arrived} arrived",
            ),
            (
                "cut off",
                f"{self.cut_offs.cut_off} rows waited for events;"
                f" {self.cut_offs.settled_by_event} settled by an event"
                f" ({self.cut_offs.settled_after_cut_off} after waiting),"
                f" {self.cut_offs.resent_after_silence} resent after silence;"
                f" {self.status_callbacks} status callbacks",
            ),
            ("wall time", f"{self.wall_seconds:.1f}s"),
        ]
        if self.outstanding:
            rows.append(("outstanding", f"{self.outstanding}, of journeys unfinished at the end"))
        lines = [f"  {name:<14}{value}" for name, value in rows]
        for reason, count in sorted(self.lost_reasons.items()):
            lines.append(f"  {'':<14}{count} lost with reason: {reason}")
        for number, kill in enumerate(self.kill_log, 1):
            lines.append(
                f"  kill {number:<9}at {kill.at:5.1f}s, {kill.delivered}/{self.due} delivered,"
                f" {kill.unsettled} outbox rows unsettled, down {kill.down_for:.1f}s"
            )
        return "\n".join(lines)


def _breakdown(by_channel: dict[str, int], by_status: dict[str, int]) -> str:
    if not by_channel:
        return ""
    channels = ", ".join(f"{name} {n}" for name, n in sorted(by_channel.items()))
    statuses = ", ".join(f"{name} {n}" for name, n in sorted(by_status.items()))
    return f" ({channels}; outbox: {statuses})"


# --- what the receivers saw -------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    channel: str
    recipient: str
    marker: tuple[str, str] | None  # (step, customer id) read from the subject or body


class Arrivals:
    """Every message the SMTP server and the SMS stub took, in one thread-safe list."""

    def __init__(self) -> None:
        self._items: list[Arrival] = []
        self._lock = threading.Lock()

    def add(self, arrival: Arrival) -> None:
        with self._lock:
            self._items.append(arrival)

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def snapshot(self) -> list[Arrival]:
        with self._lock:
            return list(self._items)


def marker_in(text: str) -> tuple[str, str] | None:
    found = MARKER.search(text)
    return (found.group(1), found.group(2)) if found else None


class SmtpCounter:
    """aiosmtpd handler: each mail becomes an Arrival (recipient, marker from the subject)."""

    def __init__(self, arrivals: Arrivals) -> None:
        self.arrivals = arrivals

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        for recipient in envelope.rcpt_tos:
            self.arrivals.add(Arrival("email", recipient, marker_in(str(message["Subject"]))))
        return "250 Message accepted for delivery"


def sms_arrivals(stub: SmsStub) -> list[Arrival]:
    return [Arrival("sms", sms.to, marker_in(sms.body)) for sms in stub.messages]


@dataclass(frozen=True)
class Tally:
    delivered: int
    duplicates: int
    lost: int
    outstanding: int
    unexpected: int
    lost_by_status: dict[str, int]
    lost_by_channel: dict[str, int]
    lost_reasons: dict[str, int]
    uncertain_arrived: int


@dataclass(frozen=True)
class OutboxRow:
    status: OutboxState
    reason: str | None


def tally(
    arrivals: list[Arrival],
    carts: int,
    finished: set[str],
    rows: dict[tuple[str, str], OutboxRow],
) -> Tally:
    """Count each due message's arrivals; a wrong recipient counts as unexpected.

    A message that did not arrive is lost if its journey `finished` (customer ids), else
    outstanding. `rows` is the outbox's word on each message, by (step, customer id).
    """
    due = {
        (step, customer_id(i)): (channel, address(channel, i))
        for i in range(carts)
        for step, channel in STEPS.items()
    }
    seen: Counter[tuple[str, str]] = Counter()
    unexpected = 0
    for arrival in arrivals:
        expected = due.get(arrival.marker) if arrival.marker else None
        if arrival.marker is None or expected != (arrival.channel, arrival.recipient):
            unexpected += 1
            continue
        seen[arrival.marker] += 1
    missing = [message for message in due if message not in seen]
    lost = [message for message in missing if message[1] in finished]
    return Tally(
        delivered=len(seen),
        duplicates=sum(count - 1 for count in seen.values()),
        lost=len(lost),
        outstanding=len(missing) - len(lost),
        unexpected=unexpected,
        lost_by_status=dict(Counter(rows[m].status if m in rows else "no row" for m in lost)),
        lost_by_channel=dict(Counter(STEPS[step] for step, _ in lost)),
        lost_reasons=dict(Counter(rows[m].reason or "none" for m in lost if m in rows)),
        uncertain_arrived=sum(
            1 for m in seen if m in rows and rows[m].status == OutboxState.UNCERTAIN
        ),
    )


# --- carts -----------------------------------------------------------------------------


def customer_id(i: int) -> str:
    return f"c{i:05d}"


def cart_id(i: int) -> str:
    return f"k{i:05d}"


def customer_of(cart: str) -> str:
    """Cart k00042 is customer c00042's."""
    return customer_id(int(cart.removeprefix("k")))


def address(channel: str, i: int) -> str:
    return f"{customer_id(i)}@chaos.example" if channel == "email" else f"+90530{i:07d}"


def cart(i: int) -> dict[str, Any]:
    return cart_body(
        shop=SHOP,
        checkout_url=f"https://chaos.example/checkout/{i}",
        customer={
            "id": customer_id(i),
            "email": address("email", i),
            "phone": address("sms", i),
            "consent": {"email": True, "sms": True},
        },
        product="Chaos Monkey",
    )


async def put_carts(api_url: str, api_key: str, carts: int) -> None:
    """PUT every cart through the API, PUT_CONCURRENCY at a time; 5xx answers are retried."""
    gate = asyncio.Semaphore(PUT_CONCURRENCY)
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=api_url, headers=headers, timeout=30) as api:

        async def put(i: int) -> None:
            async with gate:
                for attempt in range(5):
                    try:
                        response = await api.put(f"/v1/carts/{cart_id(i)}", json=cart(i))
                    except httpx.TransportError as err:
                        answer = f"{type(err).__name__}: {err}"
                    else:
                        if response.status_code == 202:
                            return
                        answer = f"{response.status_code} {response.text[:300]}"
                        if response.status_code < 500:
                            break
                    await asyncio.sleep(0.5 * (attempt + 1))
                raise ChaosSetupError(f"PUT cart {cart_id(i)}: {answer}")

        await asyncio.gather(*(put(i) for i in range(carts)))


# --- the stack ---------------------------------------------------------------------------


def settings_env(
    *,
    database_url: str,
    temporal_address: str,
    smtp_url: str,
    sms_url: str,
    api_port: int,
    journal_dir: Path,
) -> dict[str, str]:
    """The process environment: the stack's, with the chaos journey and the Twilio stub."""
    return stack_env(
        database_url=database_url,
        temporal_address=temporal_address,
        smtp_url=smtp_url,
        api_port=api_port,
        task_queue=f"chaos-{uuid.uuid4().hex[:8]}",
        secret_key="chaos-secret-key-0123456789abcdef0123456789",
    ) | {
        "CARTNUDGE_JOURNEYS_DIR": str(JOURNEYS_DIR),
        "CARTNUDGE_DEFAULT_JOURNEY": "chaos",
        # caps off: every message of every journey is due
        "CARTNUDGE_EMAIL_CAP_HOURS": "0",
        "CARTNUDGE_SMS_CAP_HOURS": "0",
        "CARTNUDGE_SMS_PROVIDER": "twilio",
        "CARTNUDGE_TWILIO_API_URL": sms_url,
        "CARTNUDGE_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "CARTNUDGE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "CARTNUDGE_TWILIO_FROM": TWILIO_FROM,
        "CARTNUDGE_PROVIDER_SILENCE_MINUTES": str(PROVIDER_SILENCE_MINUTES),
        # every worker of the run is started on this machine: one journal for them all
        "CARTNUDGE_SEND_JOURNAL_DIR": str(journal_dir),
    }


# --- the run ------------------------------------------------------------------------------


async def outbox_counts(engine: AsyncEngine) -> dict[OutboxState, int]:
    async with create_session_factory(engine)() as session:
        return await count_by_state(session)


async def cut_off_counts(engine: AsyncEngine) -> CutOffCounts:
    async with create_session_factory(engine)() as session:
        return await count_cut_offs(session)


async def outbox_rows(engine: AsyncEngine) -> dict[tuple[str, str], OutboxRow]:
    """Each outbox row's status and reason by (step, customer id)."""
    async with create_session_factory(engine)() as session:
        entries = await all_entries(session)
    return {
        (entry.message_id, customer_of(entry.cart_id)): OutboxRow(entry.state, entry.reason)
        for entry in entries
    }


async def publish_chaos_journey(database_url: str) -> None:
    """Publish and activate tests/chaos/journeys, as an operator would before the carts."""
    engine = create_engine(database_url)
    try:
        await publish_and_activate(
            create_session_factory(engine),
            JOURNEYS_DIR,
            capabilities=Capabilities(frozenset({Channel.EMAIL, Channel.SMS}), frozenset()),
        )
    finally:
        await engine.dispose()


async def finished_journeys(engine: AsyncEngine) -> int:
    async with create_session_factory(engine)() as session:
        return await count_outcomes(session)


async def finished_customers(engine: AsyncEngine) -> set[str]:
    """The customer ids whose journey recorded an outcome."""
    async with create_session_factory(engine)() as session:
        return {customer_of(cart) for cart in await finished_cart_ids(session)}


@dataclass
class Monkey:
    """Kills the worker `kills` times, spread over the deliveries, always mid-sending."""

    worker: WorkerProcess
    engine: AsyncEngine
    count: Callable[[], int]  # arrivals so far
    due: int
    kills: int
    rng: random.Random
    started: float
    landed: list[Kill] = field(default_factory=list)
    count_at_restart: int = 0

    async def run(self) -> None:
        # The k-th kill waits for roughly k/(kills+1) of the messages, so kills spread
        # over the run and every one lands while messages are still to send.
        thresholds = sorted(
            int(self.due * (k + self.rng.uniform(0.5, 1.0)) / (self.kills + 1))
            for k in range(self.kills)
        )
        for threshold in thresholds:
            # sending now: past the threshold, and the current worker has delivered
            while self.count() < max(threshold, self.count_at_restart + 1):
                self.worker.check_alive()
                await asyncio.sleep(0.01)
            await asyncio.sleep(self.rng.uniform(0, 0.2))  # a random moment mid-sending
            delivered = self.count()
            if delivered >= self.due:
                return  # nothing left to interrupt
            self.worker.kill()
            at = time.monotonic() - self.started
            unsettled = await outbox_counts(self.engine)
            down_for = self.rng.uniform(0.1, 1.5)
            self.landed.append(
                Kill(
                    at=at,
                    delivered=delivered,
                    unsettled=unsettled.get(OutboxState.PENDING, 0)
                    + unsettled.get(OutboxState.SENDING, 0),
                    down_for=down_for,
                )
            )
            log.info(
                "kill %d at %.1fs: %d/%d delivered, outbox %s",
                len(self.landed), at, delivered, self.due, unsettled,
            )  # fmt: skip
            await asyncio.sleep(down_for)
            self.count_at_restart = self.count()
            self.worker.start()


async def run_chaos(
    *,
    carts: int,
    kills: int,
    logs: Path,
    seed: int | None = None,
    deadline: float | None = None,
) -> ChaosReport:
    """Run `carts` journeys through the whole stack, killing the worker `kills` times.

    `logs` receives every process's log. `deadline` (seconds) bounds the wait for the
    journeys to finish; the report then says how many did.
    """
    rng = random.Random(seed)
    started = time.monotonic()
    due = carts * len(STEPS)
    # about 3 journeys a second on 2 busy cores, and a restart costs a replay of them all
    deadline = deadline if deadline is not None else 60 + carts * 0.6 + kills * 30
    arrivals = Arrivals()
    sms_stub = SmsStub(account_sid=TWILIO_SID, auth_token=TWILIO_TOKEN)

    def count() -> int:
        return len(arrivals) + sms_stub.count

    async with AsyncExitStack() as stack:
        database_url = stack.enter_context(postgres("cartnudge_chaos"))
        await upgrade_database(database_url)
        await publish_chaos_journey(database_url)
        api_key = await shop_with_new_key(database_url, SHOP, cipher=stack_cipher())
        temporal_address = await stack.enter_async_context(temporal_dev_server(logs))
        smtp_url = stack.enter_context(smtp_server(SmtpCounter(arrivals)))
        stack.enter_context(sms_stub)
        api_port = free_port()
        env = settings_env(
            database_url=database_url,
            temporal_address=temporal_address,
            smtp_url=smtp_url,
            sms_url=sms_stub.url,
            api_port=api_port,
            journal_dir=logs / "send-journal",
        )
        engine = create_engine(database_url)
        stack.push_async_callback(engine.dispose)
        worker = WorkerProcess(env, logs)
        worker.start()
        stack.callback(worker.stop)
        # the status callbacks need it as much as the carts: on a box shared with other
        # runs its start can take a while
        api_url = stack.enter_context(api_process(env, api_port, logs, healthy_within=120))
        log.info("stack up in %.1fs; %d carts, %d kills", time.monotonic() - started, carts, kills)

        monkey = Monkey(worker, engine, count, due, kills, rng, started)
        chaos = asyncio.create_task(monkey.run())
        try:
            await put_carts(api_url, api_key, carts)
            log.info("%d carts in after %.1fs", carts, time.monotonic() - started)
            finished = 0
            while finished < carts and time.monotonic() - started < deadline:
                if chaos.done():
                    chaos.result()  # a dead worker or a failed kill surfaces here
                else:
                    worker.check_alive()
                await asyncio.sleep(0.25)
                finished = await finished_journeys(engine)
        finally:
            chaos.cancel()
            await asyncio.gather(chaos, return_exceptions=True)
        worker.stop()
        outbox = await outbox_counts(engine)
        cut_offs = await cut_off_counts(engine)
        rows = await outbox_rows(engine)
        done = await finished_customers(engine)

    counted = tally(arrivals.snapshot() + sms_arrivals(sms_stub), carts, done, rows)
    last_restart = monkey.count_at_restart if monkey.landed else 0
    return ChaosReport(
        carts=carts,
        kills=len(monkey.landed),
        due=due,
        delivered=counted.delivered,
        duplicates=counted.duplicates,
        lost=counted.lost,
        outstanding=counted.outstanding,
        unexpected=counted.unexpected,
        finished=len(done),
        outbox=outbox,
        lost_by_status=counted.lost_by_status,
        lost_by_channel=counted.lost_by_channel,
        lost_reasons=counted.lost_reasons,
        uncertain_arrived=counted.uncertain_arrived,
        wall_seconds=time.monotonic() - started,
        cut_offs=cut_offs,
        status_callbacks=sms_stub.callbacks,
        kill_log=tuple(monkey.landed),
        arrivals_after_last_restart=len(arrivals) + len(sms_stub.messages) - last_restart,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--carts", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=None, help="for a repeatable kill schedule")
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs here")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds to wait for the journeys (default: from the carts and kills)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%X")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command chatter
    for chatty in ("cartnudge.sms_stub", "httpx", "alembic"):  # per SMS, per PUT, per step
        logging.getLogger(chatty).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="cartnudge-chaos-") as scratch:
        logs = args.logs or Path(scratch)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            report = asyncio.run(
                run_chaos(
                    carts=args.carts,
                    kills=args.kills,
                    logs=logs,
                    seed=args.seed,
                    deadline=args.deadline,
                )
            )
        except StackError as err:  # ChaosSetupError too
            print(f"chaos: could not run: {err}", file=sys.stderr)
            sys.exit(2)
        print(report.table())
        if not report.exactly_once and args.logs is None:
            print("  (run again with --logs DIR to keep the processes' logs)")
        print(report.summary)
    sys.exit(0 if report.exactly_once else 1)


if __name__ == "__main__":
    main()
