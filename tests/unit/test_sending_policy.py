"""The send policy on its own: facts in, decision out, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sending.policy import (
    AskRegistry,
    ChannelFacts,
    Defer,
    Go,
    SendRules,
    Skip,
    address_of,
    cap_window,
    capped,
    choose_channel,
    quiet_hours_deferral,
)
from tests.factories import make_cart, make_customer
from tests.support.messaging import send_request
from workflows.payloads import Channel, QuietWindow, SendRequest, WhenCapped

RULES = SendRules(shop_timezone="UTC")
NIGHT = QuietWindow(start="21:00", end="09:00")
# 20:00 UTC is 23:00 in Istanbul (the customer's zone in make_customer), 20:00 in London.
EVENING = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
ISTANBUL_MORNING = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 09:00 there
EMAIL = "ayse@example.com"


def reachable(channel: Channel = Channel.EMAIL, **facts: Any) -> ChannelFacts:
    """A channel every rule lets through (consent on this cart, nothing else known)."""
    values: dict[str, Any] = {
        "channel": channel,
        "address": EMAIL,
        "has_provider": True,
        "cart_consent": True,
    }
    return ChannelFacts(**{**values, **facts})


def sms_or_email() -> SendRequest:
    return send_request(channels=[Channel.SMS, Channel.EMAIL])


# --- quiet hours -------------------------------------------------------------------------------


def test_a_message_due_at_night_waits_for_the_customers_morning() -> None:
    deferral = quiet_hours_deferral(
        send_request(quiet_hours=NIGHT), at=EVENING, shop_timezone=None, rules=RULES
    )

    assert deferral == Defer(
        ISTANBUL_MORNING,
        "quiet hours 21:00-09:00 in Europe/Istanbul; deferred to 2026-11-23T06:00+00:00",
    )


def test_the_shops_timezone_counts_when_the_customer_has_none() -> None:
    request = send_request(quiet_hours=NIGHT, cart=make_cart(customer=make_customer(timezone=None)))

    in_london = quiet_hours_deferral(
        request, at=EVENING, shop_timezone="Europe/London", rules=RULES
    )
    in_istanbul = quiet_hours_deferral(
        request, at=EVENING, shop_timezone="Europe/Istanbul", rules=RULES
    )

    assert in_london is None  # 20:00 there
    assert in_istanbul is not None and in_istanbul.until == ISTANBUL_MORNING


def test_webhooks_to_the_shops_own_systems_have_no_quiet_hours() -> None:
    webhook = send_request(channels=[Channel.WEBHOOK], target="crm", quiet_hours=NIGHT)

    assert quiet_hours_deferral(webhook, at=EVENING, shop_timezone=None, rules=RULES) is None


def test_a_journey_without_quiet_hours_sends_at_any_hour() -> None:
    assert quiet_hours_deferral(send_request(), at=EVENING, shop_timezone=None, rules=RULES) is None


# --- the channel -------------------------------------------------------------------------------


def test_the_first_reachable_channel_of_the_preference_is_chosen() -> None:
    facts = [reachable(Channel.SMS, address="+905321234567"), reachable()]

    assert choose_channel(sms_or_email(), facts) == Go(Channel.SMS, "+905321234567")


def test_a_refused_channel_falls_back_to_the_next() -> None:
    facts = [reachable(Channel.SMS, address=None), reachable()]

    assert choose_channel(sms_or_email(), facts) == Go(Channel.EMAIL, EMAIL)


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        ({"has_provider": False}, "email: no provider configured"),
        ({"address": None}, "email: no email address"),
        ({"cart_consent": False}, "email: no consent"),
        ({"stated_consent": False}, "email: no consent"),  # withdrawn on another cart
        ({"suppressed": "unsubscribed"}, "email: address unsubscribed"),
        ({"registry_allows": False}, "email: the consent registry does not allow it"),
    ],
)
def test_each_refusal_is_named(facts: dict[str, Any], reason: str) -> None:
    choice = choose_channel(
        send_request(), [reachable(**facts)], registry_channels=frozenset({Channel.EMAIL})
    )

    assert choice == Skip(reason, Channel.EMAIL)


def test_consent_the_shop_stated_since_wins_over_the_carts() -> None:
    granted_later = reachable(cart_consent=False, stated_consent=True)

    assert choose_channel(send_request(), [granted_later]) == Go(Channel.EMAIL, EMAIL)


def test_no_reachable_channel_skips_with_every_reason() -> None:
    facts = [
        reachable(Channel.SMS, address="+905321234567", cart_consent=False),
        reachable(address=None),
    ]

    assert choose_channel(sms_or_email(), facts) == Skip(
        "sms: no consent; email: no email address", Channel.EMAIL
    )


def test_the_registry_is_asked_only_when_everything_else_allows_the_message() -> None:
    registry = frozenset({Channel.EMAIL})

    assert choose_channel(send_request(), [reachable()], registry_channels=registry) == (
        AskRegistry(Channel.EMAIL, EMAIL)
    )
    no_consent = reachable(cart_consent=False)
    assert isinstance(
        choose_channel(send_request(), [no_consent], registry_channels=registry), Skip
    )
    allowed = reachable(registry_allows=True)
    assert choose_channel(send_request(), [allowed], registry_channels=registry) == Go(
        Channel.EMAIL, EMAIL
    )


def test_webhooks_need_no_consent() -> None:
    webhook = send_request(channels=[Channel.WEBHOOK], target="crm")
    facts = [ChannelFacts(Channel.WEBHOOK, address_of(webhook, Channel.WEBHOOK), True)]

    assert choose_channel(webhook, facts) == Go(Channel.WEBHOOK, "crm")


# --- frequency caps ----------------------------------------------------------------------------


def test_a_capped_message_waits_for_the_slot_or_is_skipped_as_the_journey_says() -> None:
    free_at = EVENING + timedelta(hours=3)
    window = timedelta(hours=16)

    deferred = capped(Channel.EMAIL, window=window, free_at=free_at, when_capped=WhenCapped.DEFER)
    skipped = capped(Channel.EMAIL, window=window, free_at=free_at, when_capped=WhenCapped.SKIP)

    assert deferred == Defer(
        free_at,
        "frequency cap: one email per 16h; deferred to 2026-11-22T23:00+00:00",
        Channel.EMAIL,
    )
    assert skipped == Skip("frequency cap: one email per 16h", Channel.EMAIL)


def test_a_channel_without_a_positive_window_is_not_capped() -> None:
    rules = SendRules(
        shop_timezone="UTC", caps={Channel.EMAIL: timedelta(hours=16), Channel.SMS: timedelta(0)}
    )

    assert cap_window(Channel.EMAIL, rules) == timedelta(hours=16)
    assert cap_window(Channel.SMS, rules) is None
    assert cap_window(Channel.PUSH, rules) is None
