"""The reason label is a word of a closed set, read from the policy's own sentences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from observability.metrics import REASON_WORDS, reason_word
from sending import policy
from sending.policy import ChannelFacts, SendRules
from tests.support.messaging import send_request
from workflows.payloads import Channel, MessageStatus, QuietWindow, SendResult, WhenCapped

NOON = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MIDNIGHT = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)


def word(status: MessageStatus, reason: str | None) -> str:
    return reason_word(SendResult(status=status, reason=reason, channel=Channel.EMAIL))


def facts(**fields: object) -> ChannelFacts:
    values: dict[str, object] = {
        "channel": Channel.EMAIL,
        "address": "a@example.com",
        "has_provider": True,
        "cart_consent": True,
    }
    return ChannelFacts(**{**values, **fields})  # type: ignore[arg-type]


def test_the_policys_deferrals_and_skips_read_as_their_words() -> None:
    request = send_request(quiet_hours=QuietWindow(start="21:00", end="09:00"))
    night = policy.quiet_hours_deferral(
        request, at=MIDNIGHT, shop_timezone="UTC", rules=SendRules(shop_timezone="UTC")
    )
    assert night is not None
    assert word(MessageStatus.DEFERRED, night.reason) == "quiet_hours"
    for when_capped, status in (
        (WhenCapped.DEFER, MessageStatus.DEFERRED),
        (WhenCapped.SKIP, MessageStatus.SKIPPED),
    ):
        capped = policy.capped(
            Channel.EMAIL, window=timedelta(hours=16), free_at=NOON, when_capped=when_capped
        )
        assert word(status, capped.reason) == "cap"

    cases = {
        "no_consent": facts(cart_consent=False),
        "no_address": facts(address=None),
        "no_provider": facts(has_provider=False),
        "suppressed": facts(suppressed="bounced"),
        "registry": facts(registry_allows=False),
    }
    for expected, refused in cases.items():
        skip = policy.choose_channel(
            send_request(), [refused], registry_channels=frozenset({Channel.EMAIL})
        )
        assert isinstance(skip, policy.Skip), expected
        assert word(MessageStatus.SKIPPED, skip.reason) == expected, skip.reason


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        (MessageStatus.SENT, None, "none"),
        (
            MessageStatus.UNCERTAIN,
            "an earlier attempt stopped mid-delivery; not resent",
            "interrupted",
        ),
        (MessageStatus.FAILED, "550 5.1.1 no such mailbox: ayse@example.com", "provider"),
        (MessageStatus.FAILED, "gave up after 6 h: 503 from twilio", "gave_up"),
        (MessageStatus.SKIPPED, "no coupon: shop demo makes no coupons", "no_coupon"),
        (MessageStatus.SKIPPED, "something new nobody mapped", "other"),
    ],
)
def test_free_text_never_becomes_a_label(
    status: MessageStatus, reason: str | None, expected: str
) -> None:
    assert word(status, reason) == expected
    assert expected in REASON_WORDS
