"""How many carts one box keeps asleep mid-journey, and what they cost it.

    python -m devstack.bench_scale --carts 20000     (`make bench-scale`)

The whole stack, real and local, as `make bench` has it (devstack/stack.py): PostgreSQL, the
Temporal dev server on a SQLite file in WAL mode, the worker and the API as processes, an
SMTP sink. The journey is the default one (journeys/abandoned_cart) with its trigger cut from
1 h to 1 s, published and activated at the start as `make run` does with journeys/: a cart's
first reminder goes out a second after it goes quiet, and then the cart sleeps in the 24 h
`wait_for` that follows, which is where most carts of a real shop spend their time. The
carts go in as a shop sends them, `PUT /v1/carts/{id}`, CONCURRENCY in flight, one customer
each. Then it reports:

asleep       the time from the first PUT until every cart sleeps, and carts per second over
             it. A cart sleeps once its first reminder is settled in the outbox (sent, or
             given up on) and its workflow is running with no workflow task or activity
             pending. The clock stops when the
             LAST carts reminded sleep (the worker takes tasks about in order); then every
             workflow is described once more, and any found still busy is waited for, the
             clock running on. The outbox must hold one message per cart (its states are reported:
             `uncertain` is a send whose attempt timed out mid-delivery), and the SMTP sink's
             count says whether any reminder came twice.
database     Temporal's SQLite files (the database, its -wal and -shm) with no carts, and
             with every cart asleep; the growth per 1,000 sleeping carts.
memory       the worker's and the dev server's resident set (VmRSS in /proc/<pid>/status)
             with no carts, when half had their reminder, and with all of them asleep.
100k         the same extrapolated to EXTRAPOLATE_TO carts: the time at the measured rate,
             the database at the measured growth per cart, the RSS at the growth between
             the half-way and the full measurement (the worker's workflow cache is full by
             then, so what grows after is what every further cart costs).

A table, then the last line:
`bench-scale: carts=N asleep_s=T carts_per_s=R db_mb_per_1000=D worker_rss_mb=M
minutes_to_100k=T2 db_mb_at_100k=D2 worker_rss_mb_at_100k=M2` (one line; MB of 1,048,576
bytes).

`--watching` (what `make bench` runs, at 20,000 carts): the trigger is 24 h instead, so the
carts sleep watching for abandonment and no reminder goes out; the run takes the PUTs'
time, minutes, where 20,000 first reminders take about an hour on 2 cores. Either way the
line `sleeping: carts=N stage=S worker_rss_mb=M worker_rss_mb_no_carts=M0 carts_per_gb=C
carts_per_gb_marginal=C2 db_kb_per_cart=K asleep_s=T` (ScaleReport.sleeping; S `watching`
or `reminded`) says what the carts cost the worker against the same worker with none: C is
the carts over what they added (M - M0), C2 the same from the half-way growth, once the
workflow cache is full. As with the
bench, speed is reported, not judged: the exit status is 0 unless the stack failed or a
cart did not get to sleep.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client, WorkflowExecutionStatus

from devstack import carts
from devstack.bench import BENCH_VERSIONS, BenchError, idle, in_lanes
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
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from storage.outbox import OutboxState, count_by_state
from workflows.client import cart_workflow_id

log = logging.getLogger("cartnudge.bench_scale")

SHOP = "scale"
JOURNEY = "abandoned_cart"  # the default journey, its trigger cut to INACTIVITY
INACTIVITY = "1s"
# `watching`: the trigger set so long that every cart sleeps in it for the whole run
WATCHING_INACTIVITY = "24h"
CONCURRENCY = 32  # PUTs in flight, as a shop's web workers would send them
DESCRIBE_CONCURRENCY = 16
LAST = 50  # the carts reminded last, whose sleep ends the timed part
PUT_ATTEMPTS = 5  # a 429 or 5xx is tried again, as a shop's client would
EXTRAPOLATE_TO = 100_000
PROGRESS_EVERY = 10.0  # seconds between progress lines
STALL_TIMEOUT = 180.0  # no reminder settled for this long: the run is stuck
MB = 1024 * 1024
GB = 1024 * MB


# --- what the box holds ------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    """Temporal's database and the processes' memory at one moment."""

    asleep: int  # carts whose first reminder was settled in the outbox
    db_files: tuple[tuple[str, int], ...]  # (file name, bytes): the database, -wal, -shm
    worker_rss: int  # bytes
    server_rss: int  # bytes, the Temporal dev server
    cpu: tuple[tuple[str, float], ...]  # (process, CPU seconds used since it started)

    @property
    def db_bytes(self) -> int:
        return sum(size for _, size in self.db_files)

    def line(self) -> str:
        files = ", ".join(f"{name} {size / MB:.1f}" for name, size in self.db_files)
        return (
            f"{self.asleep:>7} asleep   database {self.db_bytes / MB:8.1f} MB ({files})"
            f"   worker {self.worker_rss / MB:6.1f} MB   server {self.server_rss / MB:6.1f} MB"
        )


def rss(pid: int) -> int:
    """The process's resident set in bytes, from /proc/<pid>/status."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024  # "VmRSS:   123456 kB"
    raise StackError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of stat(5)
    return (utime + stime) / os.sysconf("SC_CLK_TCK")


def child_pid(argument: str) -> int:
    """The pid of this process's child that has `argument` on its command line."""
    me = os.getpid()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])  # after "pid (comm)": state, ppid
        if parent == me and argument.encode() in argv:
            return int(entry.name)
    raise StackError(f"no child process with {argument!r} on its command line")


@dataclass(frozen=True)
class Watched:
    """What to measure: the dev server's database file, the worker, the server, the API."""

    db_file: Path
    worker_pid: int
    server_pid: int
    api_pid: int

    def footprint(self, asleep: int) -> Footprint:
        files = sorted(self.db_file.parent.glob(f"{self.db_file.name}*"))
        return Footprint(
            asleep=asleep,
            db_files=tuple((path.name, path.stat().st_size) for path in files),
            worker_rss=rss(self.worker_pid),
            server_rss=rss(self.server_pid),
            cpu=tuple(
                (name, cpu_seconds(pid))
                for name, pid in (
                    ("worker", self.worker_pid),
                    ("server", self.server_pid),
                    ("API", self.api_pid),
                )
            ),
        )


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleReport:
    carts: int
    concurrency: int
    journey: str
    load_before: tuple[float, float, float]
    accepted_seconds: float  # first PUT -> last PUT answered
    reminded_seconds: float  # first PUT -> every cart's first reminder settled (or answered)
    asleep_seconds: float  # first PUT -> every cart asleep (see run_bench_scale)
    verified_seconds: float  # describing every workflow afterwards
    awake_at_check: int  # workflows that pass found still busy
    retried_puts: int  # PUTs answered 429 or 5xx (or not at all) and sent again
    mails: int  # reminders the SMTP sink got, duplicates included
    outbox: dict[OutboxState, int]
    empty: Footprint  # the stack up, no carts
    half: Footprint  # half the carts asleep (the rest still arriving)
    full: Footprint  # every cart asleep
    wall_seconds: float
    watching: bool = False  # asleep before abandonment (no reminder), not after the first

    @property
    def stage(self) -> str:
        return "watching" if self.watching else "reminded"

    @property
    def carts_per_second(self) -> float:
        return self.carts / self.asleep_seconds

    @property
    def db_bytes_per_cart(self) -> float:
        return (self.full.db_bytes - self.empty.db_bytes) / self.carts

    def _growth_per_cart(self, rss: Callable[[Footprint], int]) -> float:
        """What each further cart adds to a process, from half-way to all asleep; a process
        that shrank meanwhile (a collection, a cache evicted) counts as not growing."""
        carts = self.full.asleep - self.half.asleep
        return max(0.0, (rss(self.full) - rss(self.half)) / carts) if carts else 0.0

    @property
    def worker_rss_per_cart(self) -> float:
        return self._growth_per_cart(lambda footprint: footprint.worker_rss)

    @property
    def server_rss_per_cart(self) -> float:
        return self._growth_per_cart(lambda footprint: footprint.server_rss)

    def at(self, carts: int) -> tuple[float, float, float, float]:
        """Seconds to get there, database, worker and server RSS (bytes), at `carts`."""
        more = carts - self.carts
        return (
            carts / self.carts_per_second,
            self.empty.db_bytes + self.db_bytes_per_cart * carts,
            self.full.worker_rss + self.worker_rss_per_cart * more,
            self.full.server_rss + self.server_rss_per_cart * more,
        )

    def cpu_per_cart(self) -> list[tuple[str, float]]:
        """CPU seconds each process spent per cart, no carts -> all asleep."""
        before = dict(self.empty.cpu)
        return [(name, (used - before[name]) / self.carts) for name, used in self.full.cpu]

    @property
    def summary(self) -> str:
        seconds, db, worker, _ = self.at(EXTRAPOLATE_TO)
        return (
            f"bench-scale: carts={self.carts}"
            f" asleep_s={self.asleep_seconds:.0f}"
            f" carts_per_s={self.carts_per_second:.1f}"
            f" db_mb_per_1000={self.db_bytes_per_cart * 1000 / MB:.1f}"
            f" worker_rss_mb={self.full.worker_rss / MB:.0f}"
            f" minutes_to_100k={seconds / 60:.0f}"
            f" db_mb_at_100k={db / MB:.0f}"
            f" worker_rss_mb_at_100k={worker / MB:.0f}"
        )

    @property
    def worker_rss_growth(self) -> int:
        """What the sleeping carts added to the worker: all asleep over no carts, bytes."""
        return max(0, self.full.worker_rss - self.empty.worker_rss)

    @property
    def sleeping(self) -> str:
        """`make bench`'s line: the worker's memory with every cart asleep, against the same
        worker with none (the baseline, measured in the same run), and carts per GB of it."""
        growth, marginal = self.worker_rss_growth, self.worker_rss_per_cart
        return (
            f"sleeping: carts={self.carts} stage={self.stage}"
            f" worker_rss_mb={self.full.worker_rss / MB:.0f}"
            f" worker_rss_mb_no_carts={self.empty.worker_rss / MB:.0f}"
            f" carts_per_gb={f'{self.carts * GB / growth:.0f}' if growth else 'inf'}"
            f" carts_per_gb_marginal={f'{GB / marginal:.0f}' if marginal else 'inf'}"
            f" db_kb_per_cart={self.db_bytes_per_cart / 1024:.1f}"
            f" asleep_s={self.asleep_seconds:.0f}"
        )

    def table(self) -> str:
        load = ", ".join(f"{value:.1f}" for value in self.load_before)
        sent = self.outbox.get(OutboxState.SENT, 0)
        others = ", ".join(
            f"{count} {state.value}"
            for state, count in self.outbox.items()
            if state is not OutboxState.SENT
        )
        seconds, db, worker, server = self.at(EXTRAPOLATE_TO)
        per_1000 = self.db_bytes_per_cart * 1000
        return "\n".join(
            [
                f"cartnudge bench-scale on {os.cpu_count()} cores (load average before: {load}):"
                " Temporal dev server (SQLite, WAL), worker, API, PostgreSQL, one box",
                f"  {self.carts} carts through PUT /v1/carts, {self.concurrency} in flight;"
                f" journey {self.journey}",
                f"    all PUTs answered        {self.accepted_seconds:8.1f} s"
                f"   ({self.carts / self.accepted_seconds:.1f}/s, {self.retried_puts} tried again)",
                (
                    "    no reminder: asleep watching for abandonment"
                    if self.watching
                    else f"    all first reminders in   {self.reminded_seconds:8.1f} s"
                ),
                f"    all asleep               {self.asleep_seconds:8.1f} s"
                f"   ({self.carts_per_second:.1f} carts/s)",
                f"    every workflow described {self.verified_seconds:8.1f} s more"
                "   (running, nothing pending: asleep in the 24 h "
                + ("inactivity wait" if self.watching else "wait_for")
                + f"; {self.awake_at_check} found still busy and waited for)",
                f"    outbox                   {sent} sent"
                + (f", {others}" if others else "")
                + f"; the SMTP sink got {self.mails} mails"
                f" ({self.mails - (0 if self.watching else self.carts)} duplicates)",
                "  footprint (MB of 1,048,576 bytes)",
                f"    no carts     {self.empty.line()}",
                f"    half-way     {self.half.line()}",
                f"    all asleep   {self.full.line()}",
                f"    Temporal's database per 1,000 sleeping carts: {per_1000 / MB:.2f} MB"
                f" ({self.db_bytes_per_cart / 1024:.1f} KB a cart)",
                "    CPU per cart: "
                + ", ".join(f"{name} {used * 1000:.0f} ms" for name, used in self.cpu_per_cart()),
                f"    RSS per 1,000 more carts (half-way -> all): worker"
                f" {self.worker_rss_per_cart * 1000 / MB:+.2f} MB,"
                f" server {self.server_rss_per_cart * 1000 / MB:+.2f} MB",
                f"  extrapolated to {EXTRAPOLATE_TO:,} sleeping carts:"
                f" {seconds / 60:.0f} min to get there, database {db / MB:.0f} MB,"
                f" worker RSS {worker / MB:.0f} MB, server RSS {server / MB:.0f} MB",
                f"  wall time {self.wall_seconds:.0f}s",
            ]
        )


# --- the journey ------------------------------------------------------------------------------


def scale_journeys(folder: Path, inactivity: str = INACTIVITY) -> Path:
    """journeys/ holding only the default journey, its trigger set to `inactivity`; the folder."""
    target = folder / "journeys"
    shutil.copytree(REPO / "journeys" / JOURNEY, target / JOURNEY)
    for version in sorted((target / JOURNEY).glob("v*.yaml")):
        # Text, not YAML round trip: that would turn `from: 21:00` into a number.
        text, found = re.subn(
            r"^(\s*inactivity:\s*)\S+", rf"\g<1>{inactivity}", version.read_text(), flags=re.M
        )
        if found != 1:
            raise StackError(f"{version}: expected one `inactivity:`, found {found}")
        version.write_text(text)
    return target


# --- carts in, carts asleep ------------------------------------------------------------------


class CountingSink:
    """An SMTP server's handler that keeps who got a mail, in the order the first came."""

    def __init__(self) -> None:
        self.recipients: list[str] = []  # appended in the SMTP thread; read in the bench's
        self.mails = 0  # a second mail to one recipient would be a duplicate reminder
        self._seen: set[str] = set()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.mails += len(envelope.rcpt_tos)
        for recipient in envelope.rcpt_tos:
            if recipient not in self._seen:
                self._seen.add(recipient)
                self.recipients.append(recipient)
        return "250 Message accepted for delivery"


def cart_id(number: int) -> str:
    return f"s{number:06d}"


def cart_of(recipient: str) -> str:
    return recipient.split("@", 1)[0]


def cart_body(cart: str) -> dict[str, Any]:
    return carts.cart_body(
        shop=SHOP,
        checkout_url=f"https://scale.example/checkout/{cart}",
        customer={"id": f"c-{cart}", "email": f"{cart}@scale.example", "consent": {"email": True}},
        product="Scale Weight",
    )


@dataclass
class Shop:
    """The shop's side: PUT its carts, as its backend would, trying again on 429 and 5xx."""

    api: httpx.AsyncClient
    retried: int = 0
    body: Callable[[str], dict[str, Any]] = cart_body  # the cart a cart id stands for

    async def put(self, cart: str) -> None:
        for attempt in range(PUT_ATTEMPTS):
            try:
                response = await self.api.put(f"/v1/carts/{cart}", json=self.body(cart))
            except httpx.TransportError as err:
                problem = f"{type(err).__name__}: {err}"
            else:
                if response.status_code == 202 and response.json().get("status") == "accepted":
                    return
                if response.status_code != 429 and response.status_code < 500:
                    raise BenchError(
                        f"PUT /v1/carts/{cart}: {response.status_code} {response.text}"
                    )
                problem = f"{response.status_code} {response.text}"
            self.retried += 1
            log.info("PUT /v1/carts/%s: %s; again", cart, problem)
            await asyncio.sleep(0.5 * (attempt + 1))
        raise BenchError(f"PUT /v1/carts/{cart}: {problem}, {PUT_ATTEMPTS} times")


async def until_reminded(
    outbox: OutboxStates,
    carts: int,
    watched: Watched,
    worker: WorkerProcess,
    *,
    started: float,
    intake: Awaitable[Any],
) -> tuple[float, Footprint]:
    """Wait, while `intake` runs, until every cart's first reminder is settled in the outbox
    (sent, or given up on); the seconds since `started` until then, and the footprint when
    half of them were."""
    intake_task = asyncio.ensure_future(intake)
    half: Footprint | None = None
    seen, seen_at = 0, time.monotonic()
    logged_at = seen_at
    try:
        while True:
            arrived = await outbox.settled()
            now = time.monotonic()
            if half is None and arrived >= carts // 2:
                half = watched.footprint(arrived)
            if arrived >= carts:
                assert half is not None
                return now - started, half
            if intake_task.done():
                intake_task.result()  # a failed PUT ends the run here
            worker.check_alive()
            if arrived > seen:
                seen, seen_at = arrived, now
            elif now - seen_at > STALL_TIMEOUT:
                raise BenchError(
                    f"{arrived}/{carts} reminders settled; none for {STALL_TIMEOUT:.0f}s"
                )
            if now - logged_at >= PROGRESS_EVERY:
                logged_at = now
                log.info(
                    "%.0fs: %d/%d reminded (%.1f/s); %s",
                    now - started, arrived, carts, arrived / max(now - started, 1e-9),
                    watched.footprint(arrived).line(),
                )  # fmt: skip
            await asyncio.sleep(0.5)
    finally:
        if not intake_task.done():
            intake_task.cancel()
        await asyncio.gather(intake_task, return_exceptions=True)


async def put_watching(
    shop: Shop, cart_ids: list[str], concurrency: int, watched: Watched
) -> Footprint:
    """PUT every cart (`watching`: none is reminded during the run); the footprint when
    half of them were answered."""
    answered = 0
    half: list[Footprint] = []

    async def put(cart: str) -> None:
        nonlocal answered
        await shop.put(cart)
        answered += 1
        if answered == max(1, len(cart_ids) // 2):
            half.append(watched.footprint(answered))

    await in_lanes(cart_ids, put, concurrency)
    return half[0]


@dataclass
class Sleepers:
    """Whether carts' workflows sleep: running, no workflow task or activity pending."""

    client: Client
    worker: WorkerProcess

    async def asleep(self, cart: str) -> bool:
        handle = self.client.get_workflow_handle(cart_workflow_id(SHOP, cart))
        description = await handle.describe()
        if description.status != WorkflowExecutionStatus.RUNNING:
            raise BenchError(f"{handle.id} is {description.status}, not asleep in its journey")
        return idle(description)

    async def wait(self, carts: list[str]) -> None:
        """Until every one of `carts` sleeps (a send timed out and retried takes a while)."""
        deadline = time.monotonic() + STALL_TIMEOUT

        async def one(cart: str) -> None:
            while not await self.asleep(cart):
                self.worker.check_alive()
                if time.monotonic() > deadline:
                    raise BenchError(f"{cart_workflow_id(SHOP, cart)} still awake")
                await asyncio.sleep(0.2)

        await in_lanes(carts, one, DESCRIBE_CONCURRENCY)

    async def wait_in_order(self, carts: list[str]) -> None:
        """Until each of `carts` sleeps, one after another, as the worker takes them: on a
        busy box it may run minutes behind the PUTs, so only STALL_TIMEOUT with no cart
        falling asleep fails the run."""
        progress_at = time.monotonic()
        for cart in carts:
            while not await self.asleep(cart):
                self.worker.check_alive()
                if time.monotonic() - progress_at > STALL_TIMEOUT:
                    raise BenchError(
                        f"{cart_workflow_id(SHOP, cart)} still awake; none fell asleep"
                        f" for {STALL_TIMEOUT:.0f}s"
                    )
                await asyncio.sleep(0.2)
            progress_at = time.monotonic()

    async def awake(self, carts: list[str]) -> list[str]:
        """Those of `carts` not asleep now: each described once."""
        found: list[str] = []

        async def check(cart: str) -> None:
            if not await self.asleep(cart):
                found.append(cart)

        await in_lanes(carts, check, DESCRIBE_CONCURRENCY)
        return found


@dataclass
class OutboxStates:
    """The outbox's rows by state: what happened to each reminder."""

    sessions: async_sessionmaker[AsyncSession]

    async def counts(self) -> dict[OutboxState, int]:
        async with self.sessions() as session:
            return await count_by_state(session)

    async def settled(self) -> int:
        """Messages no attempt will change any more."""
        return sum(count for state, count in (await self.counts()).items() if not state.live)


# --- the run ------------------------------------------------------------------------------------


async def run_bench_scale(
    *, logs: Path, carts: int, concurrency: int = CONCURRENCY, watching: bool = False
) -> ScaleReport:
    """Bring the stack up, put `carts` to sleep, measure, tear it down; logs go to `logs`.

    `watching`: the carts sleep watching for abandonment (the trigger WATCHING_INACTIVITY),
    no reminder sent; minutes instead of the hour 20,000 reminders take on 2 cores.
    """
    inactivity = WATCHING_INACTIVITY if watching else INACTIVITY
    started = time.monotonic()
    load_before = os.getloadavg()
    sink = CountingSink()
    async with AsyncExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="scale-")))
        journeys = scale_journeys(scratch, inactivity)
        database_url = stack.enter_context(postgres("cartnudge_scale"))
        await upgrade_database(database_url)
        api_key = await shop_with_new_key(
            database_url, SHOP, cipher=stack_cipher(), currency="EUR", locale="en"
        )
        secret_key = uuid.uuid4().hex * 2
        await publish_journeys(
            Settings(database_url=database_url, journeys_dir=journeys, secret_key=secret_key),
            versions=BENCH_VERSIONS,
        )
        db_file = scratch / "temporal.db"
        running = await start_stack(
            stack,
            logs=logs,
            database_url=database_url,
            api_key=api_key,
            secret_key=secret_key,
            mail_sink=sink,
            temporal_db=db_file,
            task_queue=f"scale-{uuid.uuid4().hex[:8]}",
            concurrency=concurrency,
        )
        worker, client, api = running.worker, running.client, running.api
        watched = Watched(
            db_file, child_pid("worker.py"), child_pid(str(db_file)), child_pid("uvicorn")
        )
        empty = watched.footprint(0)
        log.info("stack up in %.1fs; %s", time.monotonic() - started, empty.line())

        shop = Shop(api)
        cart_ids = [cart_id(number) for number in range(carts)]
        accepted: list[float] = []
        intake_started = time.monotonic()

        async def intake() -> None:
            await in_lanes(cart_ids, shop.put, concurrency)
            accepted.append(time.monotonic() - intake_started)
            log.info("all %d PUTs answered after %.1fs", carts, accepted[0])

        engine = create_engine(database_url)
        stack.push_async_callback(engine.dispose)
        outbox = OutboxStates(create_session_factory(engine))
        sleepers = Sleepers(client, worker)
        if watching:
            half = await put_watching(shop, cart_ids, concurrency, watched)
            accepted.append(time.monotonic() - intake_started)
            reminded = accepted[0]
            log.info("all %d PUTs answered after %.1fs", carts, reminded)
            # every hundredth cart, then the last ones: the worker's progress, in order
            await sleepers.wait_in_order(cart_ids[::100] + cart_ids[-LAST:])
            last = cart_ids[-LAST:]
        else:
            reminded, half = await until_reminded(
                outbox, carts, watched, worker, started=intake_started, intake=intake()
            )
            log.info("all %d first reminders in after %.1fs", carts, reminded)
            last = [cart_of(recipient) for recipient in sink.recipients[-LAST:]]
        # The worker takes tasks about in order: once the last carts sleep, the others do
        # too, which the pass over all of them then checks.
        await sleepers.wait(last)
        asleep = time.monotonic() - intake_started
        log.info("the last %d asleep after %.1fs; describing every workflow", LAST, asleep)
        described = time.monotonic()
        awake = await sleepers.awake(cart_ids)
        if awake:  # the pass proved the guess wrong: the run lasted until these slept
            await sleepers.wait(awake)
            asleep = time.monotonic() - intake_started
        verified = time.monotonic() - described
        # One row per cart. `uncertain` is a send whose attempt timed out mid-delivery (the
        # mail may have gone, and is never sent again): reported, as the sink's count is.
        states = await outbox.counts()
        if sum(states.values()) != (0 if watching else carts):
            expected = "no message" if watching else "one message per cart"
            raise BenchError(f"the outbox holds {states}, not {expected}")
        full = watched.footprint(carts)
        worker.check_alive()
    return ScaleReport(
        carts=carts,
        concurrency=concurrency,
        journey=f"{JOURNEY} (journeys/{JOURNEY}, inactivity {inactivity})",
        load_before=load_before,
        accepted_seconds=accepted[0],
        reminded_seconds=reminded,
        asleep_seconds=asleep,
        verified_seconds=verified,
        awake_at_check=len(awake),
        retried_puts=shop.retried,
        mails=sink.mails,
        outbox=states,
        empty=empty,
        half=half,
        full=full,
        wall_seconds=time.monotonic() - started,
        watching=watching,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--carts", type=int, default=20_000, help="carts to put to sleep")
    parser.add_argument("--concurrency", type=int, default=CONCURRENCY, help="PUTs in flight")
    parser.add_argument(
        "--watching", action="store_true", help="asleep before abandonment: no reminders sent"
    )
    parser.add_argument("--logs", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args()
    prepare_bench_process()
    with tempfile.TemporaryDirectory(prefix="cartnudge-bench-scale-") as scratch:
        logs = args.logs or Path(scratch)
        logs.mkdir(parents=True, exist_ok=True)
        try:
            report = asyncio.run(
                run_bench_scale(
                    logs=logs,
                    carts=args.carts,
                    concurrency=args.concurrency,
                    watching=args.watching,
                )
            )
        except StackError as err:  # BenchError too
            print(f"bench-scale: could not run: {err}", file=sys.stderr)
            sys.exit(2)
    print(report.table())
    print(report.summary)


if __name__ == "__main__":
    main()
