"""The simulated customer: a workflow that plays one persona against the real journey.

It runs on the simulator's own task queue, beside the product's worker on the same
time-skipping test server, so its waits ("2h after the first message") are timers like
the journey's own and the server skips to whichever comes first. What the customer does
goes through the product's roads (journey_tools/customer_actions.py); messages reach it
as signals from the simulator's capture of the channels. It ends once every cart's
journey has ended.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import count

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from journey_schema.durations import format_duration
    from journey_tools.customer_payloads import (
        BUY,
        CART_ENDED,
        ENGAGE,
        MESSAGE_ARRIVED,
        SIMULATED_CUSTOMER,
        START_CART,
        STATE_CONSENT,
        Buy,
        CartEnded,
        CustomerEvent,
        CustomerPlan,
        Engage,
        MessageArrived,
        StartCart,
        StateConsent,
        checkout_url,
    )
    from journey_tools.personas import Action, ActionKind, ConsentSpec
    from workflows.payloads import Channel

# A failing step of the simulation is a bug to see, not to retry.
ONCE = RetryPolicy(maximum_attempts=1)
ACTIVITY_TIMEOUT = timedelta(minutes=1)


@workflow.defn(name=SIMULATED_CUSTOMER)
class SimulatedCustomer:
    def __init__(self) -> None:
        self._arrived: list[MessageArrived] = []
        self._ended: set[str] = set()
        self._events: list[CustomerEvent] = []
        self._consent: ConsentSpec | None = None
        self._busy = 0  # activities running
        self._started = 0  # carts left behind

    @workflow.run
    async def run(self, plan: CustomerPlan) -> list[CustomerEvent]:
        self._consent = plan.persona.customer.consent
        work = [self._leave_cart(plan, index) for index in range(len(plan.cart_ids))]
        work += [self._act(plan, action) for action in plan.persona.actions]
        tasks = [asyncio.ensure_future(step) for step in work]
        await workflow.wait_condition(lambda: self._started == len(plan.cart_ids))
        while len(self._ended) < len(plan.cart_ids):
            # The simulator tells of a cart's end from outside, a few real milliseconds
            # after it: meanwhile the server may skip to the next timer anywhere. A timer of
            # our own keeps that from being the end of time (this run's timeout).
            try:
                await workflow.wait_condition(
                    lambda: len(self._ended) == len(plan.cart_ids),
                    timeout=timedelta(days=1),
                    timeout_summary="still waiting for the carts' journeys to end",
                )
            except TimeoutError:
                pass
        # An activity still running when the run ends keeps the test server's clock locked
        # for good: let them finish, then drop the actions waiting for a message or a timer.
        await workflow.wait_condition(lambda: self._busy == 0)
        for task in tasks:
            task.cancel()
        return self._events

    @workflow.signal(name=MESSAGE_ARRIVED)
    def message_arrived(self, message: MessageArrived) -> None:
        self._arrived.append(message)

    @workflow.signal(name=CART_ENDED)
    def cart_ended(self, ended: CartEnded) -> None:
        self._ended.add(ended.cart_id)

    # --- the plan --------------------------------------------------------------------

    async def _leave_cart(self, plan: CustomerPlan, index: int) -> None:
        spec = plan.persona.carts[index]
        inactivity = timedelta(seconds=plan.inactivity_seconds)
        abandoned = plan.abandoned_at + (spec.after or timedelta(0))
        await self._sleep_until(abandoned - inactivity, f"cart {index + 1} changes last")
        assert self._consent is not None
        start = StartCart(
            plan=plan,
            cart=index,
            at=workflow.now(),
            consent=self._consent,
            customer_workflow_id=workflow.info().workflow_id,
        )
        await self._activity(START_CART, start)
        self._started += 1

    async def _act(self, plan: CustomerPlan, action: Action) -> None:
        if action.message is None:
            await self._sleep_until(plan.abandoned_at + action.offset(), action.do)
            await self._do(plan, action, None)
            return
        numbers: Iterable[int] = count(1) if action.message == "every" else [action.message]
        for number in numbers:
            message = await self._nth_message(action, number)
            if action.after:
                await workflow.sleep(
                    action.after, summary=f"{action.do} {format_duration(action.after)} after it"
                )
            await self._do(plan, action, message)

    async def _nth_message(self, action: Action, number: int) -> MessageArrived:
        def candidates() -> list[MessageArrived]:
            if action.do == ActionKind.OPEN:  # only emails report opens
                return [m for m in self._arrived if m.channel == Channel.EMAIL]
            return self._arrived

        await workflow.wait_condition(lambda: len(candidates()) >= number)
        return candidates()[number - 1]

    async def _do(self, plan: CustomerPlan, action: Action, message: MessageArrived | None) -> None:
        now = workflow.now()
        if action.do == ActionKind.BUY:
            cart_index = (action.cart or 1) - 1
            cart_id = message.cart_id if message else plan.cart_ids[cart_index]
            spec = plan.persona.carts[plan.cart_ids.index(cart_id)]
            buy = Buy(
                shop=plan.shop,
                cart_id=cart_id,
                total=str(spec.total),
                currency=spec.currency,
                at=now,
            )
            text = await self._activity(BUY, buy)
            self._log(now, cart_id, action.do, text)
        elif action.do == ActionKind.CONSENT:
            assert self._consent is not None
            stated = action.model_dump(include={"email", "sms", "push"}, exclude_none=True)
            self._consent = self._consent.model_copy(update=stated)
            consent = StateConsent(
                shop=plan.shop, customer_id=plan.customer_id, consent=self._consent, at=now
            )
            text = await self._activity(STATE_CONSENT, consent)
            self._log(now, None, action.do, text)
        else:
            assert message is not None
            address = {Channel.EMAIL: plan.email, Channel.SMS: plan.phone}.get(
                message.channel, plan.push_token
            )
            engage = Engage(
                kind=action.do.value,
                message=message,
                address=address or "",
                checkout_url=checkout_url(message.cart_id),
            )
            text = await self._activity(ENGAGE, engage)
            self._log(now, message.cart_id, action.do, text)

    # --- helpers ---------------------------------------------------------------------

    def _log(self, at: datetime, cart_id: str | None, action: str, text: str) -> None:
        self._events.append(CustomerEvent(at=at, cart_id=cart_id, action=action, text=text))

    async def _sleep_until(self, moment: datetime, what: str) -> None:
        wait = moment - workflow.now()
        if wait > timedelta(0):
            await workflow.sleep(wait, summary=f"{what} in {format_duration(wait)}")

    async def _activity(self, name: str, arg: object) -> str:
        self._busy += 1
        try:
            result: str = await workflow.execute_activity(
                name,
                arg,
                result_type=str,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ONCE,
            )
        finally:
            self._busy -= 1
        return result
