"""Shopify's checkout and order webhooks read as our cart snapshots and orders.

A checkout (checkouts/create, checkouts/update) is the cart:

    cart id          token (since API 2026-04 checkout webhooks carry no `id`)
    updated_at       updated_at
    currency, total  presentment_currency (else currency, else the shop's), total_price
    checkout_url     abandoned_checkout_url, the customer's way back to the checkout
    items            line_items: sku (else variant_id), title – variant_title, quantity,
                     price; Shopify sends no image URL
    customer         customer.id (a guest: `checkout:<token>`), email, the first E.164
                     phone, first name, customer_locale (else the shop's locale), the
                     shop's timezone; consent: email from buyer_accepts_marketing or
                     customer.email_marketing_consent, SMS from buyer_accepts_sms_marketing
                     or customer.sms_marketing_consent

An empty line_items list is an emptied cart. A completed checkout is left to its order.

An order (orders/create, orders/paid) names its checkout by checkout_token (orders lost
`checkout_id` in 2026-04); an order without one (POS, draft orders) is no cart's. Its
line_items read as a checkout's do (a custom line without sku and variant is left out, see
api/platforms), its discount_codes [{code, amount, type}] as the codes it used, the amount
in the order's currency.

Shopify ids exceed 2**53: payloads are parsed with exact integers (api.platforms.parse_json)
and ids kept as text.
"""

from __future__ import annotations

from typing import Any

from api.platforms import (
    Ignored,
    MappingError,
    PlatformCart,
    ShopDefaults,
    Sources,
    discount_codes,
    e164,
    get,
    identifier,
    listed,
    locale,
    money,
    readable,
    text,
)
from contract.carts import CartSnapshot
from contract.orders import MAX_ORDER_ITEMS, OrderIn, OrderItem

CHECKOUT_TOPICS = frozenset({"checkouts/create", "checkouts/update"})
ORDER_TOPICS = frozenset({"orders/create", "orders/paid"})

# Shopify's variant_title for a product without variants says nothing to a customer.
_NO_VARIANT = "Default Title"
# Where a checkout may hold a phone number, the one the customer gave for SMS first.
_PHONES = (
    ("sms_marketing_phone",),
    ("phone",),
    ("customer", "phone"),
    ("billing_address", "phone"),
    ("shipping_address", "phone"),
)
_FIRST_NAMES = (
    ("customer", "first_name"),
    ("billing_address", "first_name"),
    ("shipping_address", "first_name"),
)


def checkout_cart(payload: Any, defaults: ShopDefaults) -> PlatformCart | Ignored:
    """The checkout as a cart snapshot; Ignored when there is nothing to nudge about."""
    _require_object(payload)
    token = text(payload.get("token"))
    if token is None:
        raise MappingError([(("token",), "the checkout token is required: it is the cart id")])
    cart_id = identifier(token, ("token",))
    if payload.get("completed_at"):
        return Ignored("the checkout is completed: its order ends the journey")
    sources = Sources()
    customer = _customer(payload, defaults, sources, cart_id)
    if customer is None:
        return Ignored("the checkout has no email or E.164 phone to reach the customer")
    currency = _first_text(
        payload, sources, ("currency",), ("presentment_currency",), ("currency",)
    )
    sources.note(("updated_at",), ("updated_at",))
    sources.note(("total",), ("total_price",))
    sources.note(("checkout_url",), ("abandoned_checkout_url",))
    values = _present(
        {
            "shop": defaults.shop,
            "updated_at": payload.get("updated_at"),
            "currency": currency or defaults.currency,
            "total": money(payload.get("total_price")),
            "checkout_url": payload.get("abandoned_checkout_url"),
            "customer": customer,
            "items": _items(payload.get("line_items"), sources),
        }
    )
    return PlatformCart(cart_id=cart_id, snapshot=sources.build(CartSnapshot, values))


def order(payload: Any, defaults: ShopDefaults) -> OrderIn | Ignored:
    """The order, tied to its checkout's cart; Ignored when it came from no checkout."""
    _require_object(payload)
    cart_id = text(payload.get("checkout_token"))
    if cart_id is None:
        return Ignored("the order has no checkout_token: it did not come from a checkout")
    sources = Sources()
    sources.note(("order_id",), ("id",))
    sources.note(("cart_id",), ("checkout_token",))
    sources.note(("total",), ("total_price",))
    currency = _first_text(payload, sources, ("currency",), ("currency",))
    placed_at = ("processed_at",) if payload.get("processed_at") else ("created_at",)
    sources.note(("placed_at",), placed_at)
    values = _present(
        {
            "shop": defaults.shop,
            "order_id": text(payload.get("id")),
            "cart_id": cart_id,
            "total": money(payload.get("total_price")),
            "currency": currency or defaults.currency,
            "placed_at": get(payload, *placed_at),
            "items": readable(
                OrderItem,
                (
                    (("line_items", index), _line_item(line) if isinstance(line, dict) else line)
                    for index, line in enumerate(listed(payload.get("line_items")))
                ),
                limit=MAX_ORDER_ITEMS,
            ),
            "discount_codes": discount_codes(
                (
                    ("discount_codes", index),
                    _present(
                        {"code": text(get(code, "code")), "amount": money(get(code, "amount"))}
                    ),
                )
                for index, code in enumerate(listed(payload.get("discount_codes")))
            ),
        }
    )
    return sources.build(OrderIn, values)


def _require_object(payload: Any) -> None:
    if not isinstance(payload, dict):
        raise MappingError([(("body",), "expected a JSON object")])


def _present(values: dict[str, Any]) -> dict[str, Any]:
    # A missing required field then reads "Field required", not "not a valid string".
    return {name: value for name, value in values.items() if value is not None}


def _first_text(
    payload: Any, sources: Sources, ours: tuple[str, ...], *paths: tuple[str, ...]
) -> str | None:
    """The first of the paths holding text, noted as the source of our field."""
    for path in paths:
        found = text(get(payload, *path))
        if found is not None:
            sources.note(ours, path)
            return found
    return None


def _customer(
    payload: dict[str, Any], defaults: ShopDefaults, sources: Sources, cart_id: str
) -> dict[str, Any] | None:
    customer_id = _first_text(payload, sources, ("customer", "id"), ("customer", "id"))
    if customer_id is None:  # a guest: one id per checkout, stable across its updates
        customer_id = f"checkout:{cart_id}"
        sources.note(("customer", "id"), ("token",))
    email = _first_text(payload, sources, ("customer", "email"), ("email",), ("customer", "email"))
    phone = next((found for path in _PHONES if (found := e164(get(payload, *path)))), None)
    if email is None and phone is None:
        return None
    sources.note(("customer", "locale"), ("customer_locale",))
    sources.note(("customer", "orders_count"), ("customer", "orders_count"))
    sources.note(("customer", "tags"), ("customer", "tags"))
    orders_count = get(payload, "customer", "orders_count")
    return {
        "id": customer_id,
        "email": email,
        "phone": phone,
        "first_name": _first_text(payload, sources, ("customer", "first_name"), *_FIRST_NAMES),
        "locale": locale(payload.get("customer_locale"), defaults.locale),
        "timezone": defaults.timezone,
        "consent": {
            "email": payload.get("buyer_accepts_marketing") is True
            or get(payload, "customer", "email_marketing_consent", "state") == "subscribed",
            "sms": payload.get("buyer_accepts_sms_marketing") is True
            or get(payload, "customer", "sms_marketing_consent", "state") == "subscribed",
        },
        "orders_count": orders_count if isinstance(orders_count, int) else None,
        "tags": _tags(get(payload, "customer", "tags")),
    }


def _tags(value: Any) -> list[str]:
    """Shopify's customer tags are one comma-separated string: "vip, wholesale"."""
    if not isinstance(value, str):
        return []
    return [tag.strip()[:100] for tag in value.split(",") if tag.strip()][:50]


def _items(line_items: Any, sources: Sources) -> list[Any]:
    if not isinstance(line_items, list):  # not to be taken for an emptied cart
        raise MappingError([(("line_items",), "a list is required (empty when emptied)")])
    sources.note(("items",), ("line_items",))
    items = []
    for index, line in enumerate(line_items):
        if not isinstance(line, dict):
            items.append(line)
            continue
        ours, theirs = ("items", index), ("line_items", index)
        for our_field, their_field in _line_fields(line):
            sources.note((*ours, our_field), (*theirs, their_field))
        items.append(_line_item(line))
    return items


def _line_fields(line: dict[str, Any]) -> list[tuple[str, str]]:
    """Our line item's fields and the line item fields of Shopify's they come from."""
    sku_field = "sku" if text(line.get("sku")) else "variant_id"
    return [
        ("sku", sku_field),
        ("name", "title"),
        ("quantity", "quantity"),
        ("unit_price", "price"),
    ]


def _line_item(line: dict[str, Any]) -> dict[str, Any]:
    """A checkout's or an order's line item as ours: sku (else variant id), title – variant
    title, quantity, price."""
    title, variant = text(line.get("title")), text(line.get("variant_title"))
    if variant == _NO_VARIANT:
        variant = None
    return _present(
        {
            "sku": text(line.get(_line_fields(line)[0][1])),
            "name": f"{title} – {variant}" if title and variant else title,
            "quantity": line.get("quantity"),
            "unit_price": money(line.get("price")),
        }
    )
