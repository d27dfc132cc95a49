"""The send activity: one journey step's message, to the customer as they are now, once.

It wires the send path's parts (sending/), in this order:

1. the outbox (storage/outbox.py): the step's row is claimed first, so a retried step finds
   what an earlier attempt did and never delivers twice;
2. the order check (sending/order_check.py): our orders, then the shop's order lookup; a
   bought cart gets nothing, and the result (`BOUGHT`, with the order) ends the journey;
3. the policy (sending/policy.py) over the facts read now (sending/facts.py): quiet
   hours, the channel (address, consent, suppression, the consent registry), the
   frequency cap;
4. the step's coupon, when it offers one (coupons/issuing.py): only for a customer the
   policy lets us message, after the cap slot; one code per step however often retried;
5. composition (sending/composition.py) with what is gathered right before it: the cart's
   items as the shop's catalog has them now (catalog/lookup.py; the snapshot's data when
   the shop has no catalog or it fails: a catalog never holds or retries a send); an SMS's
   or push's short links stored (storage/short_links.py), so none is out before it
   resolves; then delivery through the outbox to the provider (sending/delivery.py).

What is Temporal's stays here: transient failures become retries (when the provider asks,
if it does), the order check's unknowns are retried without end, and a provider, the
consent registry or an unforeseen error failing for SEND_GIVE_UP_AFTER is given up on.
Quiet hours and caps are judged at the time of the attempt, not the time the step came due.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import NoReturn, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from catalog.lookup import CatalogLookup, in_cart_currency
from channels.errors import TransientChannelError
from coupons.errors import PermanentCouponError, TransientCouponError
from coupons.issuing import CouponIssuer
from data_at_rest.cipher import DataCipher, UnreadableSecret
from journey_schema.durations import format_duration
from journey_schema.models import OnCouponFailure, SendSpec
from journey_schema.walk import send_at
from observability import metrics
from recommendations.source import pick, recommendations_for
from releases.source import ReleaseSource
from rendering.live import IssuedCoupon, LiveContent, ProductNow
from rendering.message import RenderError, TemplateMissing
from sending import policy
from sending.composition import Composer, LinkSigning
from sending.consent_registry import ConsentRegistry
from sending.delivery import CutOff, Delivery, Provider
from sending.facts import SendFacts
from sending.hand_over_journal import HandOverJournal
from sending.order_check import LookupNotConfigured, OrderCheck
from sending.order_lookup import LookupBroken, LookupUnavailable, ShopOrderLookup
from sending.policy import AskRegistry, Defer, Go, SendRules, Skip
from storage.caps import FrequencyCaps
from storage.outbox import Outbox, OutboxState
from storage.shops import ShopProfile
from storage.short_links import ShortLinks
from workflows import names
from workflows.payloads import Channel, MessageStatus, OrderPlaced, SendRequest, SendResult

T = TypeVar("T")

# What the outbox row records about the step, straight from the request.
OUTBOX_COLUMNS = {
    "workflow_id", "run_id", "shop", "cart_id", "journey", "version", "release_id",
    "step", "message_id", "template", "arms",
}  # fmt: skip
# Products bought with the cart a message may show (templates take what they need, e.g.
# `recommendations[:3]`).
RECOMMENDATIONS_SHOWN = 4
HEARTBEAT_EVERY = 2.0  # seconds; the workflow's heartbeat timeout is a few times this

# The workflow retries the send without limit (it has no schedule-to-close timeout): a send
# that can not know whether the cart was bought must wait, not give up. A provider or the
# consent registry failing transiently is given up on after this long, as a FAILED result.
SEND_GIVE_UP_AFTER = timedelta(hours=6)
# A broken order lookup (401, 403, a body that is not an order) is not fixed within
# seconds: ask again this much later rather than every few minutes for every cart of the shop.
BROKEN_LOOKUP_RETRY = timedelta(minutes=10)
# A shop secret that does not decrypt waits for an operator (a key to list): ask this often.
UNREADABLE_SECRET_RETRY = timedelta(minutes=10)
# An order lookup that did not answer is asked again 1 s, 2 s, 4 s... later, at most this
# far apart (or when its Retry-After says).
UNAVAILABLE_LOOKUP_RETRY_MAX = timedelta(minutes=1)

__all__ = ["MessagingActivities", "Provider"]  # Provider: what the constructor takes

# What a settled row means to the workflow.
RESULT_OF = {
    OutboxState.SENT: MessageStatus.SENT,
    OutboxState.SKIPPED: MessageStatus.SKIPPED,
    OutboxState.FAILED: MessageStatus.FAILED,
    OutboxState.UNCERTAIN: MessageStatus.UNCERTAIN,
}


class _GaveUp(Exception):
    """A transient failure lasted past SEND_GIVE_UP_AFTER: the message fails for good."""

    def __init__(self, reason: str, channel: Channel) -> None:
        super().__init__(reason)
        self.channel = channel


class MessagingActivities:
    def __init__(
        self,
        *,
        outbox: Outbox,
        session_factory: async_sessionmaker[AsyncSession],
        providers: Mapping[Channel, Provider],
        mail_from: str,  # for shops without their own `email_from`
        links: LinkSigning,
        rules: SendRules,
        registry: ConsentRegistry | None = None,
        order_lookup: ShopOrderLookup | None = None,  # without it, shops' endpoints fail loudly
        releases: ReleaseSource,
        catalog: CatalogLookup | None = None,  # without it, messages show the snapshot's data
        cipher: DataCipher,  # the shops' stored secrets
        coupons: CouponIssuer | None = None,  # without it, steps with an offer get no code
        provider_silence: timedelta = timedelta(minutes=10),  # then a cut-off send is resent
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),  # for that silence
        journal: HandOverJournal | None = None,  # which SMTP hand-overs were written
    ) -> None:
        self._outbox = outbox
        self._coupons = coupons
        self._releases = releases
        self._delivery = Delivery(
            outbox,
            providers,
            watch=_heartbeating,
            silence=provider_silence,
            clock=clock,
            journal=journal,
        )
        self._mail_from = mail_from
        self._rules = rules
        self._orders = OrderCheck(session_factory, order_lookup)
        self._facts = SendFacts(session_factory, cipher, registry)
        self._caps = FrequencyCaps(session_factory)
        self._composer = Composer(links)
        self._short_links = ShortLinks(session_factory)
        self._sessions = session_factory
        self._catalog = catalog

    @activity.defn(name=names.SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        """Send one journey step's message, at most once, unless the cart was bought."""
        result = await self._send_once(request)
        metrics.message_result(result)  # every result, counted here only
        return result

    async def _send_once(self, request: SendRequest) -> SendResult:
        key = request.outbox_key
        step = request.model_dump(include=OUTBOX_COLUMNS)
        state = await self._outbox.claim(key, {**step, "channel": request.channels[0]})
        if state in (OutboxState.SENDING, OutboxState.UNCERTAIN):
            # cut off mid-send: settled by the provider's events, waiting for them, or resent
            try:
                state = await self._delivery.resume_interrupted(key)
            except CutOff as cut_off:
                raise _look_again(cut_off) from None
        if state is not OutboxState.PENDING:
            return await self._settled(key, request)
        try:
            return await self._send(key, request)
        except _GaveUp as gave_up:
            return await self._finish(key, MessageStatus.FAILED, str(gave_up), gave_up.channel)
        except ApplicationError:
            raise  # retried on purpose: the order check without end, a provider until give-up
        except Exception as err:
            # Unforeseen (a bug, a database error): retried like a provider's failure, then
            # given up on, so a journey never loops on one step for good.
            if _retrying_for() < SEND_GIVE_UP_AFTER:
                raise
            return await self._give_up_on_unforeseen(key, request, err)

    async def _send(self, key: str, request: SendRequest) -> SendResult:
        # Read once per worker and kept (a release never changes); before any cap slot.
        release = await self._releases.release(request.release_id)
        templates = release.templates_for(request.template)
        step = send_at(release.definition.steps, request.step)  # its offer, if it has one
        shop = await self._shop(request)
        # Before any provider call and before a cap slot is taken.
        order = await self._check_order(request, shop)
        if order is not None:
            return await self._bought(key, order)

        now = _attempt_time(request)
        deferral = policy.quiet_hours_deferral(
            request, at=now, shop_timezone=shop.timezone if shop else None, rules=self._rules
        )
        if deferral is not None:
            return await self._defer(key, deferral)
        choice = await self._choose_channel(request, now)
        if isinstance(choice, Skip):
            return await self._finish(key, MessageStatus.SKIPPED, choice.reason, choice.channel)

        window = policy.cap_window(choice.channel, self._rules)
        if window is not None:
            free_at = await self._caps.take_slot(
                shop=request.shop,
                channel=choice.channel,
                address=choice.address,
                key=key,
                at=now,
                window=window,
            )
            if free_at is not None:
                capped = policy.capped(
                    choice.channel, window=window, free_at=free_at, when_capped=request.when_capped
                )
                if isinstance(capped, Defer):
                    return await self._defer(key, capped)
                return await self._finish(key, MessageStatus.SKIPPED, capped.reason, capped.channel)

        return await self._deliver(
            key, request, templates, choice, now, shop, step, release.definition.low_stock_below
        )

    async def _shop(self, request: SendRequest) -> ShopProfile | None:
        """The shop's profile; raises (Temporal retries, without end) while one of its
        secrets does not decrypt: without its order lookup token the send can not know
        whether the cart was bought, so its reminders wait for the operator's fix."""
        try:
            return await self._facts.shop(request.shop)
        except UnreadableSecret as err:
            activity.logger.error(
                "%s. Reminders for shop %s are held until it decrypts", err, request.shop
            )
            raise ApplicationError(
                str(err), type="ShopSecretUnreadable", next_retry_delay=UNREADABLE_SECRET_RETRY
            ) from err

    # --- the order check -------------------------------------------------------------

    async def _check_order(
        self, request: SendRequest, shop: ShopProfile | None
    ) -> OrderPlaced | None:
        """The cart's order; raises (Temporal retries) while whether it was bought is unknown.

        Never given up on: a broken endpoint holds its shop's reminders until it answers.
        """
        try:
            order = await _heartbeating(
                self._orders.find(shop=request.shop, cart_id=request.cart_id, profile=shop)
            )
        except LookupUnavailable as err:
            metrics.order_lookup("unavailable")
            activity.logger.warning("%s; the send waits and the lookup is retried", err)
            raise ApplicationError(
                str(err), type="OrderLookupUnavailable", next_retry_delay=_lookup_retry(err)
            ) from err
        except LookupBroken as err:
            metrics.order_lookup("broken")
            activity.logger.error(
                "%s. Reminders for shop %s are held until its order lookup answers as"
                " documented (README, 'Order lookup endpoint')",
                err,
                request.shop,
            )
            raise ApplicationError(
                str(err), type="OrderLookupBroken", next_retry_delay=BROKEN_LOOKUP_RETRY
            ) from err
        except LookupNotConfigured as err:
            metrics.order_lookup("not_configured")
            raise ApplicationError(str(err), type="OrderLookupNotConfigured") from err
        metrics.order_lookup("not_bought" if order is None else "bought")
        return order

    async def _bought(self, key: str, order: OrderPlaced) -> SendResult:
        # The row is settled, so it does not look like a send still on its way.
        reason = f"bought: order {order.order_id}"
        await self._outbox.finish(key, OutboxState.SKIPPED, reason=reason)
        return SendResult(status=MessageStatus.BOUGHT, reason=reason, order=order)

    # --- who may be messaged where ---------------------------------------------------

    async def _choose_channel(self, request: SendRequest, now: datetime) -> Go | Skip:
        facts = await self._facts.channels(request, configured=self._delivery.channels)
        while True:
            choice = policy.choose_channel(
                request, facts, registry_channels=self._facts.registry_channels
            )
            if not isinstance(choice, AskRegistry):
                return choice
            index = request.channels.index(choice.channel)
            try:
                facts[index] = await _heartbeating(
                    self._facts.registry_allows(shop=request.shop, facts=facts[index], now=now)
                )
            except TransientChannelError as err:
                _retry_or_give_up(err, choice.channel)

    # --- delivery ----------------------------------------------------------------------

    async def _deliver(
        self,
        key: str,
        request: SendRequest,
        templates: dict[str, str],
        go: Go,
        now: datetime,
        shop: ShopProfile | None,
        step: SendSpec | None,
        low_stock_below: int,
    ) -> SendResult:
        mail_from = (shop.email_from if shop else None) or self._mail_from
        coupon = await self._coupon(key, request, step, go, now, shop)
        if isinstance(coupon, Skip):
            await self._give_back_slot(request, go, key)
            return await self._finish(key, MessageStatus.SKIPPED, coupon.reason, coupon.channel)
        # What the message shows beyond the snapshot, gathered now (rendering/live.py).
        live = await self._live_content(request, go.channel, shop, coupon, low_stock_below)
        try:
            composed = self._composer.compose(
                key=key,
                request=request,
                templates=templates,
                channel=go.channel,
                now=now,
                mail_from=mail_from,
                live=live,
            )
        except (TemplateMissing, RenderError) as err:
            # validation renders every template, so this is a bug worth seeing, not retrying
            await self._give_back_slot(request, go, key)
            reason = f"render failed: {err}"
            return await self._finish(key, MessageStatus.FAILED, reason, go.channel)
        # Before the provider has the message: a customer's tap on it must find its link.
        # Derived ids, so a retried attempt stores the same pairs again, as a no-op.
        await self._short_links.store(composed.short_links)
        try:
            result = await self._delivery.deliver(key, go, composed)
        except CutOff as cut_off:
            raise _look_again(cut_off) from None
        except TransientChannelError as err:
            try:
                _retry_or_give_up(err, go.channel)
            except _GaveUp:
                await self._give_back_slot(request, go, key)
                raise
        if result is None:  # another attempt began delivering first
            return await self._settled(key, request)
        if result.status == MessageStatus.FAILED:  # never delivered: the slot is free again
            await self._give_back_slot(request, go, key)
        return result

    async def _live_content(
        self,
        request: SendRequest,
        channel: Channel,
        shop: ShopProfile | None,
        coupon: IssuedCoupon | None,
        low_stock_below: int,
    ) -> LiveContent:
        """What the message shows beyond the snapshot: the coupon, the cart's items as the
        shop's catalog has them now, products bought with them (rendering/live.py)."""
        if channel is Channel.WEBHOOK:
            return LiveContent()  # a webhook posts the cart as the shop sent it
        cart = request.cart
        skus = [item.sku for item in cart.items]
        # Read nightly into a table (recommendations/): one query, never computed here.
        candidates = await recommendations_for(
            self._sessions,
            shop=request.shop,
            cart_skus=skus,
            limit=2 * RECOMMENDATIONS_SHOWN,  # room to drop the sold-out ones
            currency=cart.currency,
        )
        # One catalog call for the cart and the candidates.
        catalog = await self._catalog_now(shop, skus + [c.sku for c in candidates], cart.currency)
        sold_out = {sku for sku, product in catalog.items() if not product.available}
        return LiveContent(
            coupon=coupon,
            catalog={sku: product for sku, product in catalog.items() if sku in skus},
            recommendations=pick(candidates, sold_out, RECOMMENDATIONS_SHOWN),
            low_stock_below=low_stock_below,
        )

    async def _catalog_now(
        self, shop: ShopProfile | None, skus: list[str], currency: str
    ) -> dict[str, ProductNow]:
        """The products as the shop's catalog has them now; {} when it has none or it
        failed (the lookup logs why): the message then shows the snapshot's data."""
        if shop is None or not shop.catalog_source or not skus:
            return {}
        if self._catalog is None:
            activity.logger.warning(
                "shop %s has a catalog, but this worker has no HTTP client to ask it", shop.shop
            )
            return {}
        found = await _heartbeating(self._catalog.current(shop, skus))
        return in_cart_currency(found or {}, cart_currency=currency, shop=shop)

    # --- the step's coupon -------------------------------------------------------------

    async def _coupon(
        self,
        key: str,
        request: SendRequest,
        step: SendSpec | None,
        go: Go,
        now: datetime,
        shop: ShopProfile | None,
    ) -> IssuedCoupon | Skip | None:
        """The step's code (None without an offer, or going without one), or Skip.

        A platform failing transiently is retried like a provider, then given up on; one
        that refuses for good gets what the step says (`on_coupon_failure`).
        """
        if step is None or step.coupon is None:
            return None
        try:
            if self._coupons is None:
                raise PermanentCouponError("this deployment makes no coupons")
            issued = await _heartbeating(
                self._coupons.issue(key=key, request=request, offer=step.coupon, shop=shop, now=now)
            )
        except TransientCouponError as err:
            metrics.coupon_issue(shop.coupon_source if shop else None, "unavailable")
            if _retrying_for() < SEND_GIVE_UP_AFTER:
                delay = timedelta(seconds=err.retry_after) if err.retry_after else None
                raise ApplicationError(
                    str(err), type=type(err).__name__, next_retry_delay=delay
                ) from err
            failure = f"gave up after {format_duration(SEND_GIVE_UP_AFTER)}: {err}"
            assert self._coupons is not None
            await self._coupons.give_up(key, failure)
        except PermanentCouponError as err:
            metrics.coupon_issue(shop.coupon_source if shop else None, "refused")
            failure = str(err)
        else:
            return issued  # counted `issued` by the issuer, once, when it made the code
        activity.logger.warning("%s: no coupon: %s (%s)", key, failure, step.coupon_failure)
        if step.coupon_failure is OnCouponFailure.SEND_WITHOUT:
            return None
        return Skip(reason=f"no coupon: {failure}"[:300], channel=go.channel)

    async def _give_back_slot(self, request: SendRequest, go: Go, key: str) -> None:
        if policy.cap_window(go.channel, self._rules) is not None:
            await self._caps.give_back(
                shop=request.shop, channel=go.channel, address=go.address, key=key
            )

    # --- settling ----------------------------------------------------------------------

    async def _settled(self, key: str, request: SendRequest) -> SendResult:
        """Another attempt already settled this step: report its result, never send again."""
        settled = await self._outbox.settled(key)
        if settled.state.live:
            # a second live attempt holds the row (a timed-out one still running): ask later
            raise ApplicationError(f"another attempt is delivering {key}; checking again later")
        if settled.state is OutboxState.SKIPPED:
            # Skipped because bought, and that answer was lost (or bought since): say so again.
            # Any order found is in our records by now.
            order = await self._orders.recorded(shop=request.shop, cart_id=request.cart_id)
            if order is not None:
                return SendResult(status=MessageStatus.BOUGHT, reason=settled.reason, order=order)
        return SendResult(
            status=RESULT_OF[settled.state], reason=settled.reason, channel=settled.channel
        )

    async def _give_up_on_unforeseen(
        self, key: str, request: SendRequest, err: Exception
    ) -> SendResult:
        """FAILED for a step whose row is still pending; a row an attempt left `sending`
        is settled by the next attempt (it may have been delivered), so raise again."""
        activity.logger.error("giving up on %s after %s: %r", key, SEND_GIVE_UP_AFTER, err)
        if (await self._outbox.settled(key)).state is not OutboxState.PENDING:
            raise err
        reason = f"gave up after {format_duration(SEND_GIVE_UP_AFTER)}: {type(err).__name__}: {err}"
        reason = reason[:300]  # the outbox keeps 300 characters
        return await self._finish(key, MessageStatus.FAILED, reason, request.channels[0])

    async def _defer(self, key: str, deferral: Defer) -> SendResult:
        await self._outbox.note(key, deferral.reason)
        return SendResult(
            status=MessageStatus.DEFERRED,
            reason=deferral.reason,
            channel=deferral.channel,
            retry_at=deferral.until,
        )

    async def _finish(
        self, key: str, status: MessageStatus, reason: str, channel: Channel
    ) -> SendResult:
        """Settle the row as not delivered (skipped, failed, uncertain) and say so."""
        await self._outbox.finish(key, OutboxState(status.value), reason=reason)
        return SendResult(status=status, reason=reason, channel=channel)


def _look_again(cut_off: CutOff) -> ApplicationError:
    """Retried by Temporal (SEND_RETRY has no limit) until an event settles the row or the
    provider's silence reopens it; never given up on meanwhile."""
    return ApplicationError(
        str(cut_off), type="AwaitingProviderEvents", next_retry_delay=cut_off.retry_in
    )


def _retrying_for() -> timedelta:
    """How long this send has been retried: from its first attempt to this one."""
    info = activity.info()
    # Both times are the server's (its clock jumps in tests): never this machine's clock.
    return info.current_attempt_scheduled_time - info.scheduled_time


def _attempt_time(request: SendRequest) -> datetime:
    """When this attempt runs, on the workflow's clock: the step's due time plus the time its
    retries took. Quiet hours and caps are judged then, not when the step came due: a send
    held for hours by the order check must not go out in the night that began meanwhile."""
    if request.due_at is None:
        return datetime.now(UTC)
    return request.due_at + _retrying_for()


def _retry_or_give_up(err: TransientChannelError, channel: Channel) -> NoReturn:
    """Raise for Temporal to retry (when the provider asked, if it did), or give up."""
    if _retrying_for() >= SEND_GIVE_UP_AFTER:
        raise _GaveUp(f"gave up after {format_duration(SEND_GIVE_UP_AFTER)}: {err}", channel)
    delay = timedelta(seconds=err.retry_after) if err.retry_after else None
    raise ApplicationError(str(err), type=type(err).__name__, next_retry_delay=delay) from err


def _lookup_retry(err: LookupUnavailable) -> timedelta:
    if err.retry_after is not None:
        return timedelta(seconds=err.retry_after)
    backoff = timedelta(seconds=2 ** min(activity.info().attempt - 1, 10))
    return min(backoff, UNAVAILABLE_LOOKUP_RETRY_MAX)


async def _heartbeating(call: Awaitable[T]) -> T:
    """Await a slow call (a provider, the shop, the registry), heartbeating meanwhile so a
    dead worker is noticed in seconds."""
    task = asyncio.ensure_future(call)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY)
            if done:
                return task.result()
            activity.heartbeat()
    finally:
        # Cancelled itself (a heartbeat timeout, the worker stopping): so is the call, so
        # an SMTP connection it was opening is closed rather than left in DATA.
        if not task.done():
            task.cancel()
