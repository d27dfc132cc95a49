"""Tracking tokens: only what we signed, with our secret, unchanged, is accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from pydantic import ValidationError

from tests.support.links import message_links
from tracking.tokens import InvalidToken, TrackingPayload, sign, verify

SECRET = "a-secret-of-at-least-thirty-two-characters"


def click(**overrides: object) -> TrackingPayload:
    values: dict[str, object] = {
        "shop": "demo",
        "cart_id": "abc",
        "workflow_id": "cart-demo-abc",
        "run_id": "run-1",
        "message_id": "r1",
        "kind": "click",
        "url": "https://shop.example/checkout/abc?step=2&x=ü",
    }
    return TrackingPayload.model_validate({**values, **overrides})


def test_a_signed_token_verifies_to_the_same_payload() -> None:
    payload = click()

    assert verify(sign(payload, SECRET), SECRET) == payload


def test_tokens_are_url_safe_without_padding() -> None:
    token = sign(click(url="https://shop.example/?q=a+b/c~d"), SECRET)

    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
    assert "=" not in token


def test_the_wrong_secret_is_refused() -> None:
    with pytest.raises(InvalidToken):
        verify(sign(click(), SECRET), "another-secret-of-thirty-two-characters")


def reencode(token: str, **changes: str) -> str:
    """The token with its payload edited and the original signature kept."""
    payload_part, mac = token.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
    edited = json.dumps({**data, **changes}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(edited).rstrip(b"=").decode() + "." + mac


@pytest.mark.parametrize(
    "change",
    [{"url": "https://evil.example/"}, {"run_id": "run-2"}, {"message_id": "r2"}],
)
def test_a_changed_payload_is_refused(change: dict[str, str]) -> None:
    forged = reencode(sign(click(), SECRET), **change)

    with pytest.raises(InvalidToken):
        verify(forged, SECRET)


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "abc.", ".abc", "a.b.c", "ab c.de", "ü.ü", "abc=.def", "abc+.def/"],
)
def test_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidToken):
        verify(token, SECRET)


def test_a_second_spelling_of_the_signature_is_refused() -> None:
    token = sign(click(), SECRET)
    payload_part, mac = token.split(".")
    # the last base64 character carries spare bits: flipping them decodes to the same bytes
    last = mac[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    twin = alphabet[alphabet.index(last) ^ 1]

    with pytest.raises(InvalidToken):
        verify(f"{payload_part}.{mac[:-1]}{twin}", SECRET)


def test_a_signed_payload_that_is_not_a_tracking_payload_is_refused() -> None:
    body = base64.urlsafe_b64encode(b'{"kind":"click"}').rstrip(b"=").decode()
    mac = hmac.new(SECRET.encode(), b"cartnudge.tracking.v1." + body.encode(), hashlib.sha256)
    token = f"{body}.{base64.urlsafe_b64encode(mac.digest()).rstrip(b'=').decode()}"

    with pytest.raises(InvalidToken):
        verify(token, SECRET)


def test_a_click_needs_a_url_and_an_open_has_none() -> None:
    with pytest.raises(ValidationError):
        click(url=None)
    with pytest.raises(ValidationError):
        click(kind="open")


def test_tracked_links_wrap_checkout_items_and_pixel() -> None:
    links = message_links(
        public_url="https://track.example/",
        secret=SECRET,
        run_id="run-1",
        item_urls={"SKU-1": "https://shop.example/p/1"},
    )

    assert links.checkout_url.startswith("https://track.example/t/c/")
    checkout = verify(links.checkout_url.removeprefix("https://track.example/t/c/"), SECRET)
    assert (checkout.kind, checkout.url, checkout.run_id) == (
        "click",
        "https://shop.example/checkout/abc",
        "run-1",
    )
    item = verify(links.item_urls["SKU-1"].removeprefix("https://track.example/t/c/"), SECRET)
    assert item.url == "https://shop.example/p/1"
    assert links.open_pixel_url is not None
    pixel = verify(links.open_pixel_url.removeprefix("https://track.example/t/o/"), SECRET)
    assert (pixel.kind, pixel.url, pixel.message_id) == ("open", None, "r1")
