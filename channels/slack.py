"""A journey's webhook payload as a short Slack staff alert (incoming-webhook JSON).

Only the customer id is shown, never their email or phone: the alert lands in a shared channel.
"""

from __future__ import annotations

from typing import Any


def slack_message(payload: dict[str, Any]) -> dict[str, str]:
    """{"text": ...} for a Slack incoming webhook, from the webhook step's payload."""
    cart = payload.get("cart") or {}
    customer = cart.get("customer") or {}
    items = cart.get("items") or []
    count = sum(int(item.get("quantity", 1)) for item in items)
    lines = [
        f"*Cart {_escape(payload.get('cart_id'))}* at {_escape(payload.get('shop'))}:"
        f" {_escape(cart.get('total'))} {_escape(cart.get('currency'))},"
        f" {count} item{'' if count == 1 else 's'}, customer {_escape(customer.get('id'))}",
        f"Journey {_escape(payload.get('journey'))} v{_escape(payload.get('version'))},"
        f" message {_escape(payload.get('message_id'))}",
    ]
    checkout_url = cart.get("checkout_url")
    if checkout_url:
        # "|" would end the URL part of the link early
        lines.append(f"<{_escape(checkout_url).replace('|', '%7C')}|Open checkout>")
    return {"text": "\n".join(lines)}


def _escape(value: Any) -> str:
    """Slack's control characters as the entities Slack asks for; nothing else is touched."""
    text = "?" if value is None else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
