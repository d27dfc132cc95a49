"""The staff alert says which cart, how much, whose, from which journey step, and links it."""

from __future__ import annotations

from decimal import Decimal

from channels.slack import slack_message
from tests.channels import journey_step_payload
from tests.factories import make_customer, make_item


def test_the_alert_sums_up_the_cart_and_links_its_checkout() -> None:
    items = [
        make_item(sku="A", quantity=2, unit_price=Decimal("100.00")),
        make_item(sku="B", quantity=1, unit_price=Decimal("1099.90")),
    ]
    payload = journey_step_payload(items=items, customer=make_customer(id="cust-42"))

    assert slack_message(payload) == {
        "text": "*Cart c1* at demo_shop: 1299.90 TRY, 3 items, customer cust-42\n"
        "Journey abandoned_cart v3, message crm_handoff\n"
        "<https://shop.example/checkout/abc|Open checkout>"
    }


def test_one_item_is_singular() -> None:
    assert ", 1 item, " in slack_message(journey_step_payload())["text"]


def test_slack_control_characters_are_escaped() -> None:
    payload = journey_step_payload(checkout_url="https://shop.example/checkout?a=1&b=<2>")
    payload["message_id"] = "<!channel> & co"

    text = slack_message(payload)["text"]

    assert "message &lt;!channel&gt; &amp; co" in text
    assert "<https://shop.example/checkout?a=1&amp;b=&lt;2&gt;|Open checkout>" in text
    assert "<!channel>" not in text


def test_no_email_address_or_phone_reaches_the_channel() -> None:
    payload = journey_step_payload(
        customer=make_customer(email="ayse@example.com", phone="+905321234567")
    )
    text = slack_message(payload)["text"]
    assert "ayse@example.com" not in text
    assert "905321234567" not in text
