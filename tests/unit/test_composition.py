"""Composition: SMS and push carry short links to the signed click, email the signed links."""

from __future__ import annotations

from datetime import UTC, datetime

from channels.outgoing import EmailOut, PushOut, SmsOut
from contract.carts import Consent
from sending.composition import Composed, Composer, LinkSigning
from tests.factories import make_cart, make_customer
from tests.support.links import short_ids
from tests.support.messaging import TEST_RELEASE, send_request
from tracking.short_links import belongs_to
from tracking.tokens import verify
from workflows.payloads import Channel

PUBLIC_URL = "https://links.shop.example"
SECRET = "k" * 40
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
# A short link, however long the token behind it: the public URL, /t/s/ and 12 characters.
SHORT_LINK_LENGTH = len(f"{PUBLIC_URL}/t/s/") + 12
PUSH_TEMPLATES = {
    "ping/tr.push_title": "{{ customer.first_name }}, sepetin seni bekliyor",
    "ping/tr.push": "{% for item in items %}{{ item.name }}: {{ item.url }} {% endfor %}",
}


def compose(channel: Channel, template: str, templates: dict[str, str]) -> Composed:
    customer = make_customer(
        phone="+905321234567",
        push_token="push-token-1",
        consent=Consent(email=True, sms=True, push=True),
    )
    request = send_request(channels=[channel], template=template, cart=make_cart(customer=customer))
    return Composer(LinkSigning(PUBLIC_URL, SECRET)).compose(
        key="key-1", request=request, templates=templates, channel=channel, now=NOW, mail_from="x"
    )


def assert_short_links_to_signed_clicks(composed: Composed, text: str) -> list[str]:
    """Each short link in `text` is in `composed.short_links`, for a click token of ours."""
    ids = short_ids(text)
    assert ids, text
    assert set(ids) == set(composed.short_links)
    destinations = []
    for id_ in ids:
        token = composed.short_links[id_]
        assert belongs_to(id_, token, SECRET)
        payload = verify(token, SECRET)
        assert (payload.kind, payload.message_id) == ("click", "r1")
        destinations.append(str(payload.url))
    return destinations


def test_an_sms_carries_a_short_link_and_no_token() -> None:
    composed = compose(Channel.SMS, "nudge", TEST_RELEASE.templates)

    assert isinstance(composed.message, SmsOut)
    body = composed.message.body
    assert body.startswith(f"Sepetin: {PUBLIC_URL}/t/s/")  # TEST_RELEASE's nudge/tr.sms
    assert "/t/c/" not in body
    assert len(body.split()[1]) == SHORT_LINK_LENGTH
    assert assert_short_links_to_signed_clicks(composed, body) == [make_cart().checkout_url]


def test_a_push_carries_short_links_to_its_items_and_opens_the_checkout() -> None:
    composed = compose(Channel.PUSH, "ping", PUSH_TEMPLATES)

    assert isinstance(composed.message, PushOut)
    push = composed.message
    assert push.url is not None
    assert "/t/c/" not in push.body and "/t/c/" not in push.url
    assert len(push.url) == SHORT_LINK_LENGTH
    destinations = assert_short_links_to_signed_clicks(composed, f"{push.body} {push.url}")
    item = make_cart().items[0]
    assert destinations == [item.url, make_cart().checkout_url]


def test_composing_again_makes_the_same_short_links() -> None:
    first = compose(Channel.SMS, "nudge", TEST_RELEASE.templates)
    again = compose(Channel.SMS, "nudge", TEST_RELEASE.templates)

    assert first.short_links == again.short_links
    assert first.message == again.message


def test_an_email_keeps_the_long_signed_links() -> None:
    composed = compose(Channel.EMAIL, "reminder", TEST_RELEASE.templates)

    assert isinstance(composed.message, EmailOut)
    assert composed.short_links == {}
    assert "/t/s/" not in composed.message.html + composed.message.text
    assert f"{PUBLIC_URL}/t/c/" in composed.message.html
    assert f"{PUBLIC_URL}/t/c/" in composed.message.text
