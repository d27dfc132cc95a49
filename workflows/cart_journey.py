"""The cart journey workflow: one durable run per cart, from first snapshot to outcome.

It watches the cart until it has been quiet for the journey's inactivity window, pins a
journey release at that moment (its id and steps; the templates stay with the release),
then interprets the pinned steps. Every wait is a
condition with a timeout, so a purchase, an emptied cart or a cancel ends it at once.

Deterministic by construction: everything it knows arrives as input, signal or activity
result. Changes to what it does after release go behind `workflow.patched(...)`, and
tests/replay keeps stored histories replaying.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from journey_schema import expressions
    from journey_schema.clock import attribution_window
    from journey_schema.durations import format_duration
    from journey_schema.models import (
        BranchStep,
        ExitStep,
        OnSuppression,
        PinnedRelease,
        QuietHours,
        SendSpec,
        SendStep,
        SplitStep,
        Step,
        WaitForStep,
        WaitStep,
        step_kind,
    )
    from journey_schema.walk import arm_path
    from workflows import names
    from workflows import search_attributes as sa
    from workflows.cart_values import cart_values
    from workflows.payloads import (
        ArmChoice,
        ArmRequest,
        Cancellation,
        Cart,
        CartEmptied,
        CartJourneyInput,
        Channel,
        CustomerFacts,
        CustomerLookup,
        Engagement,
        EngagementKind,
        EntryDecision,
        JourneyEntry,
        JourneyLookup,
        JourneyProgress,
        JourneyStatus,
        JourneyTrigger,
        MessageProgress,
        MessageStatus,
        OrderPlaced,
        Outcome,
        OutcomeRecord,
        QuietWindow,
        SendRequest,
        SendResult,
    )

T = TypeVar("T")

# Activities are called by name so this module never imports SQLAlchemy, Jinja2 or httpx.
from workflows.names import (  # noqa: E402
    CHOOSE_ARM,
    CHOOSE_RELEASE,
    ENTER_JOURNEY,
    JOURNEY_TRIGGER,
    LOOK_UP_CUSTOMER,
    RECORD_OUTCOME,
    SEND_MESSAGE,
)

# Sub-second bookkeeping (the worker's release cache, one insert) runs as local
# activities: a marker in the history instead of a scheduled/started/completed round trip.
QUICK_ACTIVITY_TIMEOUT = timedelta(seconds=15)
QUICK_ACTIVITY = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(minutes=1)
)
# The send activity checks the order itself, then sends. It is retried without limit and
# has no schedule-to-close timeout, on purpose: while the shop's order lookup can not say
# whether the cart was bought (down, or broken: retried every 10 min), the reminder must
# wait, however long; a timeout here would end it as FAILED and move the journey on past
# a check that never happened. Giving up on a provider, the consent registry or an
# unforeseen error is the activity's own decision (after 6 h of failures); permanent
# failures come back at once. Both are a FAILED result, and the journey goes on.
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=5)
)
# The send activity heartbeats while a provider call runs: a killed worker's send is
# retried after this, not after the whole start-to-close timeout.
SEND_HEARTBEAT_TIMEOUT = timedelta(seconds=10)

# The customer can not, or does not want to, be reached on a channel any more.
OPT_OUT_OUTCOMES = {
    EngagementKind.UNSUBSCRIBED: Outcome.UNSUBSCRIBED,
    EngagementKind.COMPLAINED: Outcome.UNSUBSCRIBED,
    EngagementKind.BOUNCED: Outcome.UNREACHABLE,
}


# Patches: each names a change made after v0.1.0, so carts started before it replay.
# 0.2: every cart entering its journey is recorded (reports), may be held out, and has its
# experiment arms assigned. Split steps need no patch: no release before 0.2 holds one.
PATCH_JOURNEY_ENTRY = "journey-entry-0.2"
# 0.3: a condition that uses what cartnudge knows of the customer (coupons sent in 30 days,
# carts recovered in 90) or the cart's stock looks it up first, in a local activity.
PATCH_CUSTOMER_FACTS = "customer-facts-0.3"


class _JourneyStopped(Exception):
    """Raised inside the interpreter when the cart's journey must end now."""


@workflow.defn(name=names.CART_JOURNEY)
class CartJourneyWorkflow:
    @workflow.init
    def __init__(self, start: CartJourneyInput) -> None:
        # The input arrives here, before the start signal is handled, so handlers know the cart.
        self._shop, self._cart_id = start.shop, start.cart_id
        self._cart: Cart | None = None
        self._cart_changed = False
        self._order: OrderPlaced | None = None
        # Why the journey ends without a purchase (emptied, cancelled, exit...); first one wins.
        self._ending: Outcome | None = None
        self._engagement: dict[str, set[EngagementKind]] = {}
        self._messages: dict[str, MessageProgress] = {}
        self._status = JourneyStatus.WATCHING
        self._pinned: PinnedRelease | None = None
        self._current_step: str | None = None
        self._held_out = False
        self._arms: dict[str, str] = {}  # experiment -> the arm taken at its split

    # --- run ---------------------------------------------------------------------

    @workflow.run
    async def run(self, start: CartJourneyInput) -> JourneyProgress:
        # Signal-with-start delivers the first snapshot together with the start.
        await workflow.wait_condition(lambda: self._cart is not None or self._stopped)
        if not self._stopped:
            trigger = await self._unless_not_live(
                self._local_activity(JOURNEY_TRIGGER, self._lookup, JourneyTrigger, "find journey")
            )
            if trigger is not None and await self._watch_for_abandonment(trigger):
                await self._run_journey()
        await self._finish()
        return self.state()

    async def _watch_for_abandonment(self, trigger: JourneyTrigger) -> bool:
        """True once the cart stayed untouched for the inactivity window."""
        quiet = format_duration(trigger.inactivity)
        self._set_current_step(f"waiting for {quiet} without cart changes")
        while True:
            self._cart_changed = False
            try:
                await workflow.wait_condition(
                    lambda: self._cart_changed or self._stopped,
                    timeout=trigger.inactivity,
                    timeout_summary=f"abandoned after {quiet} without changes",
                )
            except TimeoutError:
                return True
            if self._stopped:
                return False

    async def _run_journey(self) -> None:
        pinned = await self._unless_not_live(
            self._local_activity(
                CHOOSE_RELEASE, self._lookup, PinnedRelease, "choose journey release"
            )
        )
        if pinned is None:
            return
        self._pinned = pinned
        journey = pinned.definition
        self._status = JourneyStatus.IN_JOURNEY
        workflow.upsert_search_attributes(
            [
                sa.JOURNEY_NAME.value_set(journey.journey),
                sa.JOURNEY_VERSION.value_set(journey.version),
                sa.JOURNEY_RELEASE.value_set(pinned.release_id),
                sa.JOURNEY_STATUS.value_set(self._status.value),
                sa.CART_TOTAL.value_set(float(self._current_cart.total)),
            ]
        )
        if journey.entry and not await self._holds(journey.entry.when):
            self._end(Outcome.NOT_ENTERED)
            return
        if workflow.patched(PATCH_JOURNEY_ENTRY):
            entered = await self._local_activity(
                ENTER_JOURNEY, self._entry(), EntryDecision, "enter journey"
            )
            if entered.held_out:
                await self._hold_out()
                return
            # `JourneyHoldout = false` finds the messaged carts in the Temporal UI
            workflow.upsert_search_attributes([sa.JOURNEY_HOLDOUT.value_set(False)])
        try:
            await self._run_steps(journey.steps, "steps")
        except _JourneyStopped:
            return
        # Every step done: a purchase within the conversion window still counts as recovered.
        self._status = JourneyStatus.AWAITING_PURCHASE
        window = format_duration(journey.conversion_window)
        self._set_current_step(f"waiting up to {window} for a purchase")
        workflow.upsert_search_attributes([sa.JOURNEY_STATUS.value_set(self._status.value)])
        try:
            await workflow.wait_condition(
                lambda: self._stopped,
                timeout=journey.conversion_window,
                timeout_summary=f"conversion window {window}",
            )
        except TimeoutError:
            pass  # expired: the outcome when nothing else ended the journey

    def _entry(self) -> JourneyEntry:
        assert self._pinned is not None
        info, cart = workflow.info(), self._current_cart
        return JourneyEntry(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            shop=self._shop,
            cart_id=self._cart_id,
            customer_id=cart.customer.id,
            release_id=self._pinned.release_id,
            abandoned_at=workflow.now(),
            cart_total=cart.total,
            currency=cart.currency,
        )

    async def _hold_out(self) -> None:
        """The holdout: nothing is sent; a purchase within the attribution window (the
        longest journey clock plus the conversion window) is what the report compares."""
        assert self._pinned is not None
        self._held_out = True
        window = format_duration(attribution_window(self._pinned.definition))
        self._status = JourneyStatus.AWAITING_PURCHASE
        self._set_current_step(f"held out: nothing is sent; watching {window} for a purchase")
        workflow.upsert_search_attributes(
            [sa.JOURNEY_HOLDOUT.value_set(True), sa.JOURNEY_STATUS.value_set(self._status.value)]
        )
        try:
            await workflow.wait_condition(
                lambda: self._stopped,
                timeout=attribution_window(self._pinned.definition),
                timeout_summary=f"holdout window {window}",
            )
        except TimeoutError:
            pass

    # --- the interpreter ---------------------------------------------------------

    async def _run_steps(self, steps: list[Step], path: str) -> None:
        for index, step in enumerate(steps):
            step_path = f"{path}[{index}]"
            following = steps[index + 1] if index + 1 < len(steps) else None
            if isinstance(step, WaitStep):
                await self._wait(step, step_path, following, f"{path}[{index + 1}]")
            elif isinstance(step, SendStep):
                await self._send(step, step_path)
            elif isinstance(step, WaitForStep):
                await self._wait_for(step, step_path)
            elif isinstance(step, BranchStep):
                chosen = await self._holds(step.branch)
                self._set_current_step(f"{step_path}: branch {step.branch!r} -> {chosen}")
                if chosen:
                    await self._run_steps(step.then, f"{step_path}.then")
                else:
                    await self._run_steps(step.else_, f"{step_path}.else")
            elif isinstance(step, SplitStep):
                await self._split(step, step_path)
            elif isinstance(step, ExitStep):
                self._set_current_step(
                    f"{step_path}: exit" + (f" ({step.exit})" if step.exit else "")
                )
                self._end(Outcome.EXITED)
                raise _JourneyStopped()

    async def _holds(self, condition: str) -> bool:
        """Whether `entry.when` or a branch holds for the cart now; what the cart does not
        carry (expressions.LOOKED_UP) is looked up by an activity first."""
        values = cart_values(self._current_cart)
        needed = expressions.looked_up_names(condition)
        values.update(dict.fromkeys(needed))  # unknown unless looked up: true for nothing
        if needed and workflow.patched(PATCH_CUSTOMER_FACTS):
            cart = self._current_cart
            lookup = CustomerLookup(
                shop=self._shop,
                cart_id=self._cart_id,
                customer_id=cart.customer.id,
                contact=cart.customer.contact,
                skus=[item.sku for item in cart.items],
                names=sorted(needed),
                at=workflow.now(),
            )
            summary = "look up " + ", ".join(sorted(needed))
            facts = await self._local_activity(LOOK_UP_CUSTOMER, lookup, CustomerFacts, summary)
            values.update(facts.values())
        return expressions.evaluate(condition, values)

    async def _split(self, step: SplitStep, path: str) -> None:
        experiment = step.split.experiment
        assert self._pinned is not None
        info = workflow.info()
        request = ArmRequest(
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            shop=self._shop,
            cart_id=self._cart_id,
            customer_id=self._current_cart.customer.id,
            release_id=self._pinned.release_id,
            experiment=experiment,
            reached_at=workflow.now(),
        )
        choice = await self._local_activity(CHOOSE_ARM, request, ArmChoice, f"split {experiment}")
        self._arms[experiment] = choice.arm
        self._set_current_step(f"{path}: split {experiment} -> {choice.arm} ({choice.reason})")
        workflow.upsert_search_attributes(
            [sa.JOURNEY_ARMS.value_set([f"{e}:{a}" for e, a in sorted(self._arms.items())])]
        )
        await self._run_steps(step.split.arms[choice.arm].steps, arm_path(path, choice.arm))

    async def _wait(
        self, step: WaitStep, path: str, following: Step | None, following_path: str
    ) -> None:
        summary = f"wait {format_duration(step.wait)} before {_describe(following, following_path)}"
        self._set_current_step(f"{path}: {summary}")
        await self._sleep_unless_stopped(step.wait, summary)

    async def _send(self, step: SendStep, path: str) -> None:
        spec = step.send
        message_id = spec.id or path
        channels = spec.channels
        label = f"{' or '.join(channels)} {message_id} ({spec.label})"
        self._set_current_step(f"{path}: send {label}")
        assert self._pinned is not None
        journey = self._pinned.definition
        while True:
            self._stop_if_needed()
            info = workflow.info()
            request = SendRequest(
                workflow_id=info.workflow_id,
                run_id=info.run_id,
                shop=self._shop,
                cart_id=self._cart_id,
                journey=journey.journey,
                version=journey.version,
                release_id=self._pinned.release_id,
                step=path,
                message_id=message_id,
                channels=channels,
                template=spec.template,
                target=spec.target,
                default_locale=journey.locale,
                cart=self._current_cart,
                due_at=workflow.now(),
                quiet_hours=_quiet_window(journey.quiet_hours),
                when_capped=journey.when_capped,
                arms=dict(self._arms),
            )
            try:
                result = await workflow.execute_activity(
                    SEND_MESSAGE,
                    request,
                    result_type=SendResult,
                    start_to_close_timeout=timedelta(minutes=2),
                    heartbeat_timeout=SEND_HEARTBEAT_TIMEOUT,
                    retry_policy=SEND_RETRY,
                    summary=f"send {label}",
                )
            except ActivityError as err:  # a non-retryable failure: no retry helps
                reason = f"gave up: {err.cause or err}"
                result = SendResult(status=MessageStatus.FAILED, reason=reason)
            if result.status == MessageStatus.BOUGHT:
                # A lost "purchased" signal: the activity's order check found the order.
                # Ends the journey as the signal would have; the message never came to be.
                assert result.order is not None
                self.order_placed(result.order)
                self._stop_if_needed()
            self._record_message(message_id, path, spec, channels, result)
            if result.status != MessageStatus.DEFERRED or result.retry_at is None:
                return
            # Quiet hours or a frequency cap: wait, then try again (checking the order again).
            summary = f"{message_id} {result.reason}"
            self._set_current_step(f"{path}: {summary}")
            await self._sleep_unless_stopped(
                max(result.retry_at - workflow.now(), timedelta(0)), summary
            )
            self._set_current_step(f"{path}: send {label}")

    def _record_message(
        self,
        message_id: str,
        path: str,
        spec: SendSpec,
        channels: list[Channel],
        result: SendResult,
    ) -> None:
        deferred = result.status == MessageStatus.DEFERRED
        self._messages[message_id] = MessageProgress(
            message_id=message_id,
            step=path,
            channel=result.channel or channels[0],
            template=spec.label,
            status=result.status,
            reason=result.reason,
            sent_at=workflow.now() if result.status == MessageStatus.SENT else None,
            deferred_until=result.retry_at if deferred else None,
        )

    async def _wait_for(self, step: WaitForStep, path: str) -> None:
        spec = step.wait_for
        message_id, event = spec.message_id, spec.event
        summary = f"wait up to {format_duration(spec.within)} for {message_id} to be {event}"
        self._set_current_step(f"{path}: {summary}")

        def engaged() -> bool:
            return EngagementKind(event) in self._engagement.get(message_id, set())

        try:
            await workflow.wait_condition(
                lambda: engaged() or self._stopped, timeout=spec.within, timeout_summary=summary
            )
        except TimeoutError:
            pass
        self._stop_if_needed()
        if engaged():
            await self._run_steps(step.then, f"{path}.then")
        else:
            await self._run_steps(step.else_, f"{path}.else")

    async def _sleep_unless_stopped(self, duration: timedelta, summary: str) -> None:
        try:
            await workflow.wait_condition(
                lambda: self._stopped, timeout=duration, timeout_summary=summary
            )
        except TimeoutError:
            return
        self._stop_if_needed()

    # --- ending ------------------------------------------------------------------

    @property
    def _stopped(self) -> bool:
        return self._order is not None or self._ending is not None

    def _end(self, outcome: Outcome) -> None:
        if self._ending is None:
            self._ending = outcome

    def _stop_if_needed(self) -> None:
        if self._stopped:
            raise _JourneyStopped()

    def _final_outcome(self) -> Outcome:
        """A purchase outranks every other ending: its revenue is what the shop came for."""
        if self._held_out:
            return Outcome.HELD_OUT  # order_id and revenue say whether it bought
        if self._order is not None:
            abandoned = self._pinned is not None  # pinned at the moment of abandonment
            return Outcome.RECOVERED if abandoned else Outcome.PURCHASED
        return self._ending or Outcome.EXPIRED

    async def _finish(self) -> None:
        outcome = self._final_outcome()
        self._status = JourneyStatus.FINISHED
        self._set_current_step(None)
        workflow.upsert_search_attributes([sa.JOURNEY_STATUS.value_set(outcome.value)])
        cart = self._cart
        journey = self._pinned.definition if self._pinned else None
        record = OutcomeRecord(
            workflow_id=workflow.info().workflow_id,
            run_id=workflow.info().run_id,
            shop=self._shop,
            cart_id=self._cart_id,
            customer_id=cart.customer.id if cart else "",
            journey=journey.journey if journey else None,
            version=journey.version if journey else None,
            release_id=self._pinned.release_id if self._pinned else None,
            outcome=outcome,
            order_id=self._order.order_id if self._order else None,
            revenue=self._order.total if self._order else None,
            currency=self._order.currency if self._order else (cart.currency if cart else "XXX"),
            messages_sent=self._sent_count,
            ended_at=workflow.now(),
            held_out=self._held_out,
            arms=dict(self._arms),
        )
        await self._local_activity(
            RECORD_OUTCOME, record, type(None), f"record outcome {outcome.value}"
        )

    # --- signals and query -------------------------------------------------------

    @workflow.signal(name=names.UPDATE_CART)
    def update_cart(self, cart: Cart) -> None:
        """A newer cart snapshot; older or repeated snapshots change nothing."""
        if self._cart is not None and cart.updated_at <= self._cart.updated_at:
            return
        previous_total = self._cart.total if self._cart else None
        self._cart = cart
        self._cart_changed = True
        if cart.is_empty:
            self._end(Outcome.EMPTIED)
        elif self._status in (JourneyStatus.IN_JOURNEY, JourneyStatus.AWAITING_PURCHASE):
            if cart.total != previous_total:
                workflow.upsert_search_attributes([sa.CART_TOTAL.value_set(float(cart.total))])

    @workflow.signal(name=names.CART_EMPTIED)
    def cart_emptied(self, _emptied: CartEmptied) -> None:
        self._end(Outcome.EMPTIED)

    @workflow.signal(name=names.ORDER_PLACED)
    def order_placed(self, order: OrderPlaced) -> None:
        if self._order is None:
            self._order = order

    @workflow.signal(name=names.ENGAGEMENT)
    def engagement(self, event: Engagement) -> None:
        seen = self._engagement.setdefault(event.message_id, set())
        seen.add(event.kind)
        if event.kind == EngagementKind.CLICKED:
            seen.add(EngagementKind.OPENED)  # a click proves the open, even with images blocked
        outcome = OPT_OUT_OUTCOMES.get(event.kind)
        journey = self._pinned.definition if self._pinned else None
        # The address is on the suppression list already; the journey says whether the
        # cart goes on with its other channels.
        if outcome is not None and (journey is None or journey.on_suppression == OnSuppression.END):
            self._end(outcome)

    @workflow.signal(name=names.CANCEL)
    def cancel(self, _cancellation: Cancellation) -> None:
        self._end(Outcome.CANCELLED)

    @workflow.query(name=names.STATE)
    def state(self) -> JourneyProgress:
        cart = self._cart
        journey = self._pinned.definition if self._pinned else None
        return JourneyProgress(
            shop=self._shop,
            cart_id=self._cart_id,
            status=self._status,
            journey=journey.journey if journey else None,
            version=journey.version if journey else None,
            release_id=self._pinned.release_id if self._pinned else None,
            current_step=self._current_step,
            cart_total=cart.total if cart else 0,
            currency=cart.currency if cart else "XXX",
            messages=[self._with_engagement(m) for m in self._messages.values()],
            outcome=self._final_outcome() if self._status == JourneyStatus.FINISHED else None,
            order_id=self._order.order_id if self._order else None,
            revenue=self._order.total if self._order else None,
            held_out=self._held_out,
            arms=dict(self._arms),
        )

    # --- helpers -----------------------------------------------------------------

    @property
    def _lookup(self) -> JourneyLookup:
        return JourneyLookup(shop=self._shop, cart_id=self._cart_id)

    @property
    def _current_cart(self) -> Cart:
        assert self._cart is not None
        return self._cart

    @property
    def _sent_count(self) -> int:
        return sum(1 for m in self._messages.values() if m.status == MessageStatus.SENT)

    def _with_engagement(self, message: MessageProgress) -> MessageProgress:
        seen = self._engagement.get(message.message_id, set())
        return message.model_copy(
            update={
                "clicked": EngagementKind.CLICKED in seen,
                "opened": EngagementKind.OPENED in seen,
            }
        )

    def _set_current_step(self, description: str | None) -> None:
        self._current_step = description
        workflow.set_current_details(description or "")

    async def _unless_not_live(self, call: Awaitable[T]) -> T | None:
        """The journey activity's answer; None, and the cart ends `not_live`, when nothing
        is activated for its journey."""
        try:
            return await call
        except (ActivityError, ApplicationError) as err:
            # A local activity's failure arrives as it was raised, a scheduled one's wrapped.
            cause = err.cause if isinstance(err, ActivityError) else err
            if isinstance(cause, ApplicationError) and cause.type == names.NOT_LIVE_ERROR:
                self._end(Outcome.NOT_LIVE)
                return None
            raise

    async def _local_activity(self, name: str, arg: Any, result_type: type[T], summary: str) -> T:
        result: T = await workflow.execute_local_activity(
            name,
            arg,
            result_type=result_type,
            start_to_close_timeout=QUICK_ACTIVITY_TIMEOUT,
            retry_policy=QUICK_ACTIVITY,
            summary=summary,
        )
        return result


def _quiet_window(hours: QuietHours | None) -> QuietWindow | None:
    return QuietWindow(start=hours.from_, end=hours.to) if hours else None


def _describe(step: Step | None, path: str) -> str:
    """'reminder r1' for a send, the kind otherwise: reads well in a timer summary."""
    if isinstance(step, SendStep):
        return f"{step.send.label} {step.send.id or path}"
    kind = step_kind(step) if step is not None else None
    return kind.replace("_", " ") if kind else "the next step"
