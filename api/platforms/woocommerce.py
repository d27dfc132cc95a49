"""WooCommerce's order webhooks read as our orders (carts come through PUT /v1/carts).

The shop's plugin sends each cart to PUT /v1/carts under a cart id of its own and stores
that id on the order it becomes, as order meta `_cartnudge_cart_id`; the order webhook
(the REST API's order, API v3) carries it in `meta_data`. An order counts once it is paid,
`processing` or `completed`:

    order id   id
    cart id    meta_data[key=_cartnudge_cart_id].value
    total      total, in currency (else the shop's)
    placed_at  date_paid_gmt, else date_created_gmt (UTC, written without an offset)
    items      line_items: sku (else variation_id, else product_id), name, quantity, price
               (the unit price after the line's discounts)
    codes      coupon_lines: code, discount (what it took off, in currency)

Lines and codes that can not be read are left out, not refused (api/platforms says why).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from api.platforms import (
    Ignored,
    MappingError,
    ShopDefaults,
    Sources,
    discount_codes,
    get,
    listed,
    money,
    readable,
    text,
)
from contract.orders import MAX_ORDER_ITEMS, OrderIn, OrderItem

ORDER_TOPICS = frozenset({"order.created", "order.updated"})
CART_ID_META = "_cartnudge_cart_id"
PAID_STATUSES = frozenset({"processing", "completed"})


def order(payload: Any, defaults: ShopDefaults) -> OrderIn | Ignored:
    """The paid order, tied to its cart; Ignored when unpaid or not from a cart of ours."""
    if not isinstance(payload, dict):
        raise MappingError([(("body",), "expected a JSON object")])
    found = _cart_id_meta(payload.get("meta_data"))
    if found is None:
        return Ignored(f"the order has no {CART_ID_META} meta: no cart of ours became it")
    index, value = found
    status = payload.get("status")
    if status not in PAID_STATUSES:
        return Ignored(f"the order is {status!r}, not paid yet")
    sources = Sources()
    sources.note(("order_id",), ("id",))
    sources.note(("cart_id",), ("meta_data", index, "value"))
    sources.note(("total",), ("total",))
    sources.note(("currency",), ("currency",))
    placed_at = "date_paid_gmt" if payload.get("date_paid_gmt") else "date_created_gmt"
    sources.note(("placed_at",), (placed_at,))
    values = {
        "shop": defaults.shop,
        "order_id": text(payload.get("id")),
        "cart_id": text(value),
        "total": money(payload.get("total")),
        "currency": text(payload.get("currency")) or defaults.currency,
        "placed_at": _utc(payload.get(placed_at)),
        "items": readable(
            OrderItem,
            (
                (("line_items", index), _line_item(line))
                for index, line in enumerate(listed(payload.get("line_items")))
            ),
            limit=MAX_ORDER_ITEMS,
        ),
        "discount_codes": discount_codes(
            (
                ("coupon_lines", index),
                _present({"code": text(get(line, "code")), "amount": money(get(line, "discount"))}),
            )
            for index, line in enumerate(listed(payload.get("coupon_lines")))
        ),
    }
    return sources.build(OrderIn, _present(values))


def _line_item(line: Any) -> Any:
    if not isinstance(line, dict):
        return line  # the model names it
    sku = next(
        (
            found
            for field in ("sku", "variation_id", "product_id")
            if (found := text(line.get(field))) and found != "0"  # 0: no variation
        ),
        None,
    )
    return _present(
        {
            "sku": sku,
            "name": text(line.get("name")),
            "quantity": line.get("quantity"),
            "unit_price": _unit_price(money(line.get("price"))),
        }
    )


_PLACES = Decimal("0.0001")


def _unit_price(value: Any) -> Any:
    # WooCommerce's line price is the line's total over its quantity, a JSON number such
    # as 33.333333333: kept to the 4 places money has.
    return value.quantize(_PLACES) if isinstance(value, Decimal) and value.is_finite() else value


def _present(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def _cart_id_meta(meta_data: Any) -> tuple[int, Any] | None:
    """The position and value of our cart id among the order's meta; None without one."""
    if not isinstance(meta_data, list):
        return None
    for index, entry in enumerate(meta_data):
        if isinstance(entry, dict) and entry.get("key") == CART_ID_META:
            return index, entry.get("value")
    return None


def _utc(value: Any) -> Any:
    # WooCommerce writes its *_gmt dates in UTC without saying so: "2026-11-22T10:30:00".
    if not isinstance(value, str):
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value  # the model names it
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
