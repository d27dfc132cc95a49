"""Unsubscribe links: signed for their own use, so no other token of ours unsubscribes."""

from __future__ import annotations

import pytest

from tracking.tokens import InvalidToken, TrackingPayload, encode_part, sign, verify
from tracking.unsubscribe import (
    UnsubscribePayload,
    list_unsubscribe_headers,
    sign_unsubscribe,
    unsubscribe_url,
    verify_unsubscribe,
)

SECRET = "test-secret-key-that-is-long-enough-0123456789"
PAYLOAD = UnsubscribePayload(
    shop="demo_shop",
    channel="email",
    address="ayse@example.com",
    workflow_id="cart-demo_shop-abc",
    run_id="run-1",
    message_id="r1",
)


def test_a_signed_token_gives_back_its_payload() -> None:
    assert verify_unsubscribe(sign_unsubscribe(PAYLOAD, SECRET), SECRET) == PAYLOAD


def test_the_url_is_the_public_url_the_path_and_the_token() -> None:
    url = unsubscribe_url("https://track.example/", SECRET, PAYLOAD)

    assert url.startswith("https://track.example/u/")
    assert verify_unsubscribe(url.removeprefix("https://track.example/u/"), SECRET) == PAYLOAD


def test_the_headers_offer_one_click_unsubscribe() -> None:
    url = unsubscribe_url("https://track.example", SECRET, PAYLOAD)

    assert list_unsubscribe_headers(url) == {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def forgeries() -> dict[str, str]:
    token = sign_unsubscribe(PAYLOAD, SECRET)
    payload_part, mac = token.split(".")
    other = PAYLOAD.model_copy(update={"address": "someone-else@example.com"})
    other_part = encode_part(other.model_dump_json().encode())
    return {
        "address swapped, signature kept": f"{other_part}.{mac}",
        "signed with another secret": sign_unsubscribe(PAYLOAD, "another-secret"),
        "signature cut": payload_part,
        "signature altered": f"{payload_part}.{mac[:-2]}AA",
        "not base64": "not a token!",
        "empty": "",
    }


@pytest.mark.parametrize("forgery", sorted(forgeries()))
def test_a_forged_token_is_refused(forgery: str) -> None:
    with pytest.raises(InvalidToken):
        verify_unsubscribe(forgeries()[forgery], SECRET)


def test_a_tracking_token_is_no_unsubscribe_token_and_back() -> None:
    # Same secret, same encoding: only the domain in the mac tells the uses apart.
    same_message = PAYLOAD.model_dump(include={"shop", "workflow_id", "run_id", "message_id"})
    tracking = TrackingPayload(**same_message, cart_id="abc", kind="open")
    with pytest.raises(InvalidToken):
        verify_unsubscribe(sign(tracking, SECRET), SECRET)
    with pytest.raises(InvalidToken):
        verify(sign_unsubscribe(PAYLOAD, SECRET), SECRET)
