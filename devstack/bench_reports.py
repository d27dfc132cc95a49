"""How fast a journey's report reads as the carts pile up: the dashboard's page, timed.

    python -m devstack.bench_reports --carts 1000000     (`make bench-reports`)

A throwaway PostgreSQL (devstack/postgres.py), migrated; one release of a journey with a
10% holdout and a two-arm split (`subject`: help / scarcity, 50/50), published; then
`--carts` carts of 50 shops over 90 days, loaded with COPY (storage/bulk_load.py) in the
shapes the workflow and the intake leave them (tests/support/journey_data.py shows one
cart's rows): an entry per cart, an assignment per treated cart, ~2.5 messages per treated
cart (a reminder at once, one a day later and one two days later, each only while the
journey runs: not after an order, not after NOW, and after each send 12% empty their
cart), their engagement (delivered, opened by a person or only by a machine, clicked),
an order for ~12% of carts within the attribution
window and ~1% after it, and an outcome for every cart whose journey ended. One shop holds
a fifth of the carts. Everything comes from `random.Random(--seed)`: two runs load the same
rows. Then VACUUM ANALYZE, as autovacuum would have done on a database that grew slowly.

Then, for four dashboard pages (the whole journey, the big shop, the smallest shop, the
last 7 days), every query of storage/reports.py with the scope journey_report gives it, and
journey_report itself, each `--runs` times after one warm-up page: median and max, one line
each. The last line is `bench-reports: carts=N slowest_page_ms=X`, X the highest median of
the four pages' journey_report (goal: under 1,000 ms on 2 cores). `--before-indexes`
migrates only to 0006, without the report indexes of 0007: the numbers before them.
Speed is reported, not judged: the exit status is 0 unless the run failed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import yaml
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from devstack.stack import StackError, postgres, prepare_bench_process
from journey_schema.clock import attribution_window
from journey_schema.models import JourneyVersion
from journey_schema.release import Release, freeze
from releases.publishing import store_release
from reports.journey_report import journey_report
from reports.model import JourneyReport
from settings import Settings
from storage import reports as queries
from storage.bulk_load import copy_rows, vacuum_analyze
from storage.database import create_engine, create_session_factory
from storage.decisions import decisions_of
from storage.migrate import upgrade_database
from storage.models import (
    EngagementEvent,
    ExperimentAssignment,
    JourneyEntryRow,
    JourneyOutcome,
    JourneyRelease,
    Message,
    Order,
)
from workflows.client import cart_workflow_id
from workflows.payloads import Outcome

log = logging.getLogger("cartnudge.bench_reports")

JOURNEY_TEXT = """\
journey: bench_reports
version: 3
trigger: {inactivity: 1h}
holdout: 10%
conversion_window: 3d
steps:
  - split:
      experiment: subject
      arms:
        help: {weight: 50, steps: [{send: {channel: email, template: reminder, id: r1}}]}
        scarcity: {weight: 50, steps: [{send: {channel: email, template: still_thinking, id: r1s}}]}
  - wait: 1d
  - send: {channel: email, template: reminder_2, id: r2}
  - wait: 1d
  - send: {channel: email, template: last_chance, id: r3}
"""
EXPERIMENT = "subject"
# (path, message id) of the sends, in journey order; the first one per arm
FIRST_SEND = {
    "help": ("steps[0].arms.help[0]", "r1"),
    "scarcity": ("steps[0].arms.scarcity[0]", "r1s"),
}
LATER_SENDS = (("steps[2]", "r2", timedelta(days=1)), ("steps[4]", "r3", timedelta(days=2)))

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)  # the pages' `now`: reproducible runs
DAYS = 90
SHOPS = 50
BIG_SHOP_SHARE = 0.2
CURRENCY = "EUR"
HOLDOUT = 0.10
# the chance a cart buys within its window: the journey adds a few points over the holdout
BUYS = {"held": 0.085, "help": 0.13, "scarcity": 0.122}
BUYS_LATE = 0.01  # an order after the window: not a conversion
SKIPPED = 0.03  # a send the policy skipped (quiet hours, consent): no sent_at
EMPTIED = 0.12  # after a send, the customer empties the cart: the journey ends there
DELIVERED, OPENED, MACHINE_ONLY, CLICKED = 0.96, 0.25, 0.10, 0.08  # of the sent messages
CHUNK = 20_000  # carts per COPY transaction
RUNS = 5
PAGES = ("whole journey", "big shop", "small shop", "last 7 days")


# --- the carts ---------------------------------------------------------------------------


def shop_names() -> list[str]:
    return [f"shop-{number:02d}" for number in range(SHOPS)]


def shop_weights() -> list[float]:
    """shop-00 holds BIG_SHOP_SHARE; the others share the rest, fewer carts the further
    down the list (shop-49 the smallest)."""
    tail = [1 / (rank + 1) ** 0.8 for rank in range(SHOPS - 1)]
    rest = (1 - BIG_SHOP_SHARE) / sum(tail)
    return [BIG_SHOP_SHARE, *(weight * rest for weight in tail)]


@dataclass
class Truth:
    """What the generator put in, counted as the report should count it."""

    carts: Counter[str] = field(default_factory=Counter)  # per shop
    held_out: Counter[str] = field(default_factory=Counter)
    conversions: Counter[str] = field(default_factory=Counter)  # orders in the window
    held_conversions: Counter[str] = field(default_factory=Counter)
    revenue: dict[str, Decimal] = field(default_factory=dict)  # in the window, per shop
    arms: Counter[str] = field(default_factory=Counter)
    late_orders: int = 0  # after the window: counted by no report
    rows: Counter[str] = field(default_factory=Counter)  # per table

    def add_revenue(self, shop: str, amount: Decimal) -> None:
        self.revenue[shop] = self.revenue.get(shop, Decimal(0)) + amount


@dataclass
class Rows:
    """One chunk of carts as table rows, in the column order of COLUMNS."""

    entries: list[tuple[Any, ...]] = field(default_factory=list)
    assignments: list[tuple[Any, ...]] = field(default_factory=list)
    messages: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    orders: list[tuple[Any, ...]] = field(default_factory=list)
    outcomes: list[tuple[Any, ...]] = field(default_factory=list)


COLUMNS: dict[str, tuple[type[Any], tuple[str, ...]]] = {
    "entries": (JourneyEntryRow, (
        "workflow_id", "run_id", "shop", "cart_id", "customer_id", "journey", "version",
        "release_id", "held_out", "abandoned_at", "window_ends_at", "cart_total", "currency",
    )),
    "assignments": (ExperimentAssignment, (
        "workflow_id", "run_id", "journey", "release_id", "experiment", "arm",
        "after_decision", "assigned_at", "reached_at", "arm_taken",
    )),
    "messages": (Message, (
        "key", "workflow_id", "run_id", "shop", "cart_id", "journey", "version", "release_id",
        "step", "message_id", "channel", "template", "recipient", "status", "provider",
        "created_at", "sent_at", "arms",
    )),
    "events": (EngagementEvent, (
        "shop", "cart_id", "workflow_id", "run_id", "message_id", "kind", "occurred_at",
        "machine",
    )),
    "orders": (Order, (
        "shop", "order_id", "cart_id", "total", "currency", "placed_at", "received_at",
    )),
    "outcomes": (JourneyOutcome, (
        "workflow_id", "run_id", "shop", "cart_id", "customer_id", "journey", "version",
        "release_id", "outcome", "order_id", "revenue", "currency", "messages_sent",
        "ended_at", "held_out", "arms",
    )),
}  # fmt: skip


class CartMaker:
    """Carts in order of abandonment, evenly over DAYS up to NOW, from one seeded Random."""

    def __init__(self, release: Release, carts: int, seed: int) -> None:
        self.release = release
        self.carts = carts
        self.rng = random.Random(seed)
        self.window = attribution_window(release.definition)
        self.shops = shop_names()
        self.cum_weights = list(_cumulative(shop_weights()))
        self.start = NOW - timedelta(days=DAYS)
        self.step = timedelta(days=DAYS) / carts
        self.truth = Truth()

    def chunks(self) -> Iterator[Rows]:
        for first in range(0, self.carts, CHUNK):
            rows = Rows()
            for number in range(first, min(first + CHUNK, self.carts)):
                self._cart(number, rows)
            for table in COLUMNS:
                self.truth.rows[table] += len(getattr(rows, table))
            yield rows

    def _cart(self, number: int, rows: Rows) -> None:
        rng, release, truth = self.rng, self.release, self.truth
        shop = rng.choices(self.shops, cum_weights=self.cum_weights)[0]
        cart_id = f"c{number:07d}"
        workflow_id, run_id = cart_workflow_id(shop, cart_id), f"run-{number:07d}"
        customer_id = f"cust-{number:07d}"
        abandoned_at = self.start + self.step * (number + rng.random())
        window_ends_at = abandoned_at + self.window
        total = Decimal(rng.randrange(1500, 30000)) / 100
        held_out = rng.random() < HOLDOUT
        arm = None if held_out else rng.choice(("help", "scarcity"))
        arms_json = json.dumps({EXPERIMENT: arm}) if arm else None
        journey, version = release.journey, release.version
        rows.entries.append((
            workflow_id, run_id, shop, cart_id, customer_id, journey, version, release.id,
            held_out, abandoned_at, window_ends_at, total, CURRENCY,
        ))  # fmt: skip
        truth.carts[shop] += 1
        if arm is None:
            truth.held_out[shop] += 1
        else:
            truth.arms[arm] += 1
            rows.assignments.append((
                workflow_id, run_id, journey, release.id, EXPERIMENT, arm, False,
                abandoned_at, abandoned_at, arm,
            ))  # fmt: skip

        # the order: within the window (early more likely), after it, or none
        ordered_at: datetime | None = None
        revenue: Decimal | None = None
        draw = rng.random()
        in_window = draw < BUYS[arm or "held"]
        if in_window:
            ordered_at = abandoned_at + self.window * rng.random() ** 2
        elif draw < BUYS[arm or "held"] + BUYS_LATE:
            ordered_at = window_ends_at + timedelta(days=rng.uniform(0.1, 10))
        if ordered_at is not None and ordered_at > NOW:
            ordered_at, in_window = None, False  # not bought yet
        order_id = None
        if ordered_at is not None:
            revenue = (total * Decimal(rng.randrange(80, 121)) / 100).quantize(Decimal("0.01"))
            order_id = f"o{number:07d}"
            rows.orders.append((
                shop, order_id, cart_id, revenue, CURRENCY, ordered_at,
                ordered_at + timedelta(seconds=rng.randrange(1, 30)),
            ))  # fmt: skip
            if in_window:
                truth.conversions[shop] += 1
                truth.add_revenue(shop, revenue)
                if held_out:
                    truth.held_conversions[shop] += 1
            else:
                truth.late_orders += 1

        sent = 0
        emptied_at: datetime | None = None
        if arm is not None:
            first_path, first_id = FIRST_SEND[arm]
            sends = [(first_path, first_id, timedelta(seconds=rng.randrange(1, 60)))]
            sends += LATER_SENDS
            for step, message_id, after in sends:
                at = abandoned_at + after
                if at > NOW or (in_window and ordered_at is not None and at >= ordered_at):
                    break  # the journey is not there yet, or ended with the order
                sent += self._message(rows, shop, cart_id, workflow_id, run_id, step,
                                      message_id, at, arms_json)  # fmt: skip
                if rng.random() < EMPTIED:
                    emptied_at = at + timedelta(hours=rng.uniform(0.5, 20))
                    break

        ended_at: datetime | None = None
        outcome = None
        bought_first = ordered_at is not None and (emptied_at is None or ordered_at < emptied_at)
        if emptied_at is not None and not (in_window and bought_first):
            if emptied_at <= NOW:
                ended_at, outcome = emptied_at, Outcome.EMPTIED
        elif in_window and ordered_at is not None:
            ended_at = ordered_at
            outcome = Outcome.HELD_OUT if held_out else Outcome.RECOVERED
        elif window_ends_at <= NOW:
            ended_at = window_ends_at
            outcome = Outcome.HELD_OUT if held_out else Outcome.EXPIRED
        if outcome is not None:
            bought = outcome is not Outcome.EMPTIED and in_window and ordered_at is not None
            rows.outcomes.append((
                workflow_id, run_id, shop, cart_id, customer_id, journey, version, release.id,
                outcome.value, order_id if bought else None, revenue if bought else None,
                CURRENCY, sent, ended_at, held_out, arms_json,
            ))  # fmt: skip

    def _message(
        self,
        rows: Rows,
        shop: str,
        cart_id: str,
        workflow_id: str,
        run_id: str,
        step: str,
        message_id: str,
        at: datetime,
        arms_json: str | None,
    ) -> int:
        """One send step's message and its engagement; 1 if it went out."""
        rng = self.rng
        status = "skipped" if rng.random() < SKIPPED else "sent"
        rows.messages.append((
            f"{workflow_id}/{run_id}/{step}", workflow_id, run_id, shop, cart_id,
            self.release.journey, self.release.version, self.release.id, step, message_id,
            "email", message_id, f"{cart_id}@{shop}.example", status,
            "smtp" if status == "sent" else None, at,
            at if status == "sent" else None, arms_json,
        ))  # fmt: skip
        if status != "sent":
            return 0
        draw = rng.random()
        kinds: list[tuple[str, bool, timedelta]] = []
        if draw < DELIVERED:
            kinds.append(("delivered", False, timedelta(seconds=5)))
        opened_at = timedelta(minutes=rng.randrange(2, 600))
        draw = rng.random()
        if draw < OPENED + MACHINE_ONLY:
            kinds.append(("opened", draw >= OPENED, opened_at))
        if draw < CLICKED:  # one who clicked opened too (most with images shown)
            kinds.append(("clicked", False, opened_at + timedelta(seconds=rng.randrange(5, 300))))
        for kind, machine, after in kinds:
            if at + after <= NOW:
                rows.events.append(
                    (shop, cart_id, workflow_id, run_id, message_id, kind, at + after, machine)
                )
        return 1


def _cumulative(weights: Sequence[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


# --- loading -----------------------------------------------------------------------------


async def publish(sessions: async_sessionmaker[AsyncSession]) -> Release:
    release = freeze(JourneyVersion.model_validate(yaml.safe_load(JOURNEY_TEXT)), {})
    async with sessions() as session:
        await store_release(session, release, by="bench-reports")
        await session.commit()
    return release


async def load(
    sessions: async_sessionmaker[AsyncSession], maker: CartMaker, *, progress: bool
) -> None:
    loaded = 0
    for rows in maker.chunks():
        async with sessions() as session:
            for table, (model, columns) in COLUMNS.items():
                await copy_rows(session, model, columns, getattr(rows, table))
            await session.commit()
        loaded += len(rows.entries)
        if progress and loaded % (10 * CHUNK) == 0:
            log.info("%s carts loaded", f"{loaded:,}")


# --- timing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timing:
    page: str
    query: str
    seconds: list[float]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    @property
    def max_ms(self) -> float:
        return max(self.seconds) * 1000

    def line(self) -> str:
        return (
            f"  {self.page:<14} {self.query:<20} median {self.median_ms:8.1f} ms"
            f"   max {self.max_ms:8.1f} ms"
        )


@dataclass(frozen=True)
class Page:
    name: str
    shops: Sequence[str] | None
    since: datetime | None


def pages(truth: Truth) -> list[Page]:
    shops = [shop for shop in shop_names() if truth.carts[shop]]
    smallest = min(shops, key=lambda shop: truth.carts[shop])
    return [
        Page(PAGES[0], None, None),
        Page(PAGES[1], [shop_names()[0]], None),
        Page(PAGES[2], [smallest], None),
        Page(PAGES[3], None, NOW - timedelta(days=7)),
    ]


Query = Callable[[AsyncSession], Awaitable[object]]


def page_queries(page: Page, journey: str, recent_runs: list[tuple[str, str]]) -> dict[str, Query]:
    """Each query journey_report runs, with the scope it gives it (the page's currency)."""
    base = queries.ReportScope(journey, page.shops, page.since, NOW)
    scope = replace(base, currency=CURRENCY)
    return {
        "carts_by_currency": lambda s: queries.carts_by_currency(s, base),
        "totals_by_release": lambda s: queries.totals_by_release(s, scope),
        "totals_by_arm": lambda s: queries.totals_by_arm(s, scope),
        "carts_at_splits": lambda s: queries.carts_at_splits(s, scope),
        "totals_by_step": lambda s: queries.totals_by_step(s, scope),
        "totals_by_day": lambda s: queries.totals_by_day(s, scope),
        "recent_entries": lambda s: queries.recent_entries(s, scope),
        "arms_of_runs": lambda s: queries.arms_of_runs(s, recent_runs),
        "decisions_of": lambda s: decisions_of(s, []),
    }


async def timed(runs: int, call: Callable[[], Awaitable[object]]) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = await call()
        seconds.append(time.perf_counter() - started)
    return seconds, result


@dataclass
class ReportsBench:
    carts: int
    seed: int
    revision: str
    load_before: tuple[float, float, float]
    load_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    truth: Truth = field(default_factory=Truth)
    timings: list[Timing] = field(default_factory=list)
    reports: dict[str, JourneyReport] = field(default_factory=dict)  # the last run's, by page
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def slowest_page_ms(self) -> float:
        return max(t.median_ms for t in self.timings if t.query == "journey_report")

    @property
    def summary(self) -> str:
        return f"bench-reports: carts={self.carts} slowest_page_ms={self.slowest_page_ms:.0f}"

    def table(self) -> str:
        def load(values: tuple[float, float, float]) -> str:
            return ", ".join(f"{value:.1f}" for value in values)

        rows = ", ".join(f"{table} {count:,}" for table, count in self.truth.rows.items())
        lines = [
            f"cartnudge bench-reports on {os.cpu_count()} cores (load average before:"
            f" {load(self.load_before)}; after: {load(self.load_after)});"
            f" schema at {self.revision}",
            f"  {self.carts:,} carts of {SHOPS} shops over {DAYS} days (seed {self.seed}): {rows}",
            f"  loaded with COPY in {self.load_seconds:.1f} s"
            f" ({self.carts / self.load_seconds:,.0f} carts/s); VACUUM ANALYZE"
            f" {self.vacuum_seconds:.1f} s",
            f"  each query and the whole page (journey_report), {len(self.timings[0].seconds)}"
            " runs after one warm-up page:",
        ]
        return "\n".join([*lines, *(timing.line() for timing in self.timings)])


async def run_bench_reports(
    database_url: str,
    *,
    carts: int,
    seed: int = 1,
    runs: int = RUNS,
    revision: str = "head",
    progress: bool = False,
) -> ReportsBench:
    """Migrate the (empty) database to `revision`, load `carts`, time the four pages."""
    bench = ReportsBench(carts, seed, revision, os.getloadavg())
    await upgrade_database(database_url, revision)
    engine = create_engine(database_url)
    try:
        sessions = create_session_factory(engine)
        release = await publish(sessions)
        maker = CartMaker(release, carts, seed)
        started = time.monotonic()
        await load(sessions, maker, progress=progress)
        bench.load_seconds = time.monotonic() - started
        bench.truth = maker.truth
        started = time.monotonic()
        await vacuum_analyze(engine, [model for model, _ in COLUMNS.values()] + [JourneyRelease])
        bench.vacuum_seconds = time.monotonic() - started
        settings = Settings(database_url=database_url)
        for page in pages(maker.truth):

            async def whole(page: Page = page) -> JourneyReport:
                return await journey_report(
                    sessions,
                    journey=release.journey,
                    shops=page.shops,
                    since=page.since,
                    settings=settings,
                    now=NOW,
                )

            await whole()  # the warm-up
            scope = queries.ReportScope(release.journey, page.shops, page.since, NOW, CURRENCY)
            async with sessions() as session:
                recent = await queries.recent_entries(session, scope)
            runs_of_recent = [(entry.workflow_id, entry.run_id) for entry in recent]
            for name, query in page_queries(page, release.journey, runs_of_recent).items():

                async def one(query: Query = query) -> object:
                    async with sessions() as session:
                        return await query(session)

                seconds, _ = await timed(runs, one)
                bench.timings.append(Timing(page.name, name, seconds))
                if progress:
                    log.info("%s", bench.timings[-1].line())
            seconds, last = await timed(runs, whole)
            assert isinstance(last, JourneyReport)
            bench.reports[page.name] = last
            bench.timings.append(Timing(page.name, "journey_report", seconds))
            if progress:
                log.info("%s", bench.timings[-1].line())
    finally:
        await engine.dispose()
    bench.load_after = os.getloadavg()
    return bench


async def _main(args: argparse.Namespace) -> ReportsBench:
    with postgres("cartnudge_reports") as database_url:
        return await run_bench_reports(
            database_url,
            carts=args.carts,
            seed=args.seed,
            runs=args.runs,
            revision="0006" if args.before_indexes else "head",
            progress=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--carts", type=int, default=1_000_000, help="carts to load")
    parser.add_argument("--seed", type=int, default=1, help="the generator's seed")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs per query")
    parser.add_argument(
        "--before-indexes", action="store_true", help="without migration 0007's report indexes"
    )
    args = parser.parse_args()
    prepare_bench_process()
    try:
        bench = asyncio.run(_main(args))
    except StackError as err:
        print(f"bench-reports: could not run: {err}", file=sys.stderr)
        sys.exit(2)
    print(bench.table())
    print(bench.summary)


if __name__ == "__main__":
    main()
