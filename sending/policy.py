"""The send policy: may this message go now, on which channel, or when.

Pure: every decision is made from facts gathered beforehand (sending/facts.py reads them),
so each rule is tested without a database. In the order the send activity asks:

1. quiet hours — a customer message due at night waits for the morning (`Defer`);
2. the channel — the first of the step's preference the customer can be reached on: a
   provider is configured, the address is known, consent (as the shop last stated it, on
   any cart, else as this cart says), not suppressed, and the consent registry agrees
   (`Go`), or `AskRegistry` for an answer not known yet, or `Skip` with every reason;
3. the frequency cap — one message per channel and address per window (`Defer` or `Skip`,
   as the journey says).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from journey_schema.durations import format_duration
from sending import quiet_hours
from workflows.payloads import Channel, QuietWindow, SendRequest, WhenCapped

# Channels whose messages reach the customer, and so need their consent; webhooks go to the
# shop's own systems (a CRM, a staff channel).
CUSTOMER_CHANNELS = frozenset({Channel.EMAIL, Channel.SMS, Channel.PUSH})

ADDRESS_NAMES = {
    Channel.EMAIL: "email address",
    Channel.SMS: "phone number",
    Channel.PUSH: "push token",
    Channel.WEBHOOK: "webhook target",
}


@dataclass(frozen=True)
class SendRules:
    """The deployment's send settings."""

    shop_timezone: str  # for shops without a row in `shops`; a shop's own timezone wins
    caps: Mapping[Channel, timedelta] = field(default_factory=dict)  # one message per window


# --- decisions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Go:
    channel: Channel
    address: str


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str  # "quiet hours 21:00-09:00 in Europe/Istanbul; deferred to ..."
    channel: Channel | None = None


@dataclass(frozen=True)
class Skip:
    reason: str
    channel: Channel  # the channel chosen, or tried last


@dataclass(frozen=True)
class AskRegistry:
    """Everything else allows this channel; the consent registry's answer is not known yet."""

    channel: Channel
    address: str


# --- facts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelFacts:
    """What is known about reaching the customer on one channel of the step."""

    channel: Channel
    address: str | None
    has_provider: bool
    cart_consent: bool = False  # as this cart says
    stated_consent: bool | None = None  # as the shop last stated it, on any cart; None: never
    suppressed: str | None = None  # why the address is on the suppression list
    registry_allows: bool | None = None  # None: not asked (yet)


def address_of(request: SendRequest, channel: Channel) -> str | None:
    customer = request.cart.customer
    return {
        Channel.EMAIL: customer.email,
        Channel.SMS: customer.phone,
        Channel.PUSH: customer.push_token,
        Channel.WEBHOOK: request.target,
    }[channel]


# --- the rules -------------------------------------------------------------------------------


def quiet_hours_deferral(
    request: SendRequest, *, at: datetime, shop_timezone: str | None, rules: SendRules
) -> Defer | None:
    """Defer a customer message due inside the journey's quiet hours to their end."""
    window: QuietWindow | None = request.quiet_hours
    if window is None or not CUSTOMER_CHANNELS.intersection(request.channels):
        return None
    zone = quiet_hours.customer_zone(
        request.cart.customer.timezone, shop_timezone, rules.shop_timezone
    )
    until = quiet_hours.quiet_until(at, zone, window)
    if until is None:
        return None
    return _deferred(until, quiet_hours.describe(window, zone))


def choose_channel(
    request: SendRequest,
    facts: Sequence[ChannelFacts],
    *,
    registry_channels: frozenset[Channel] = frozenset(),
) -> Go | AskRegistry | Skip:
    """The first channel of the step's preference the customer can be reached on.

    `facts`: one per channel of the step, in its order; `registry_channels`: those the
    configured consent registry must allow (none without a registry).
    """
    refusals = []
    for channel_facts in facts:
        refusal = _refusal(channel_facts, registry_channels)
        if isinstance(refusal, AskRegistry):
            return refusal
        if refusal is None:
            assert channel_facts.address is not None
            return Go(channel_facts.channel, channel_facts.address)
        refusals.append(f"{channel_facts.channel}: {refusal}")
    return Skip("; ".join(refusals), request.channels[-1])


def _refusal(
    facts: ChannelFacts, registry_channels: frozenset[Channel]
) -> str | AskRegistry | None:
    channel = facts.channel
    if not facts.has_provider:
        return "no provider configured"
    if facts.address is None:
        return f"no {ADDRESS_NAMES[channel]}"
    if channel not in CUSTOMER_CHANNELS:
        return None
    consent = facts.cart_consent if facts.stated_consent is None else facts.stated_consent
    if not consent:
        return "no consent"
    if facts.suppressed:
        return f"address {facts.suppressed}"
    if channel in registry_channels:
        if facts.registry_allows is None:
            return AskRegistry(channel, facts.address)
        if not facts.registry_allows:
            return "the consent registry does not allow it"
    return None


def cap_window(channel: Channel, rules: SendRules) -> timedelta | None:
    """How long the channel's frequency cap holds an address after a message, if capped."""
    window = rules.caps.get(channel)
    return window if window is not None and window > timedelta(0) else None


def capped(
    channel: Channel, *, window: timedelta, free_at: datetime, when_capped: WhenCapped
) -> Defer | Skip:
    """The address had a message on this channel within the cap's window."""
    reason = f"frequency cap: one {channel} per {format_duration(window)}"
    if when_capped == WhenCapped.DEFER:
        return _deferred(free_at, reason, channel)
    return Skip(reason, channel)


def _deferred(until: datetime, reason: str, channel: Channel | None = None) -> Defer:
    return Defer(until, f"{reason}; deferred to {until.isoformat(timespec='minutes')}", channel)
