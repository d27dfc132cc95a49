"""The value of every name of the condition language (journey_schema.expressions) for a cart.

Stdlib only besides the payloads: the workflow evaluates `entry.when` and `branch` with it.
"""

from __future__ import annotations

from decimal import Decimal

from rendering.locales import language_of, normalize_locale
from workflows.payloads import Cart


def cart_values(cart: Cart) -> dict[str, object]:
    """The value of every name for one cart, but the looked-up ones
    (expressions.LOOKED_UP: `CustomerFacts.values()` gives those)."""
    customer = cart.customer
    return {
        "cart.total": cart.total,
        "cart.currency": cart.currency,
        "cart.item_count": Decimal(len(cart.items)),
        "cart.quantity": Decimal(sum(item.quantity for item in cart.items)),
        "cart.skus": [item.sku for item in cart.items],
        "cart.shop": cart.shop,
        "customer.id": customer.id,
        "customer.locale": normalize_locale(customer.locale),
        "customer.language": language_of(customer.locale),
        "customer.timezone": customer.timezone,
        "customer.first_name": customer.first_name,
        "customer.has_email": customer.email is not None,
        "customer.has_phone": customer.phone is not None,
        "customer.consent.email": customer.consent.email,
        "customer.consent.sms": customer.consent.sms,
        "customer.consent.push": customer.consent.push,
        "customer.orders_count": (
            Decimal(customer.orders_count) if customer.orders_count is not None else None
        ),
        "customer.tags": list(customer.tags),
    }
