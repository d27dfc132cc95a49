"""WooCommerce's order webhooks read as our orders (carts come through PUT /v1/carts).

The shop's plugin sends each cart to PUT /v1/carts under a cart id of its own and stores
that id on the order it becomes, as order meta `_cartnudge_cart_id`; the order webhook
(the REST API's order, API v3) carries it in `meta_data`. An order counts once it is paid,
`processing` or `completed`:

    order id   id
    cart id    meta_data[key=_cartnudge_cart_id].value
    total      total, in currency (else the shop's)
    placed_at  date_paid_gmt, else date_created_gmt (UTC, written without an offset)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from api.platforms import Ignored, MappingError, ShopDefaults, Sources, money, text
from contract.orders import OrderIn

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
    }
    return sources.build(OrderIn, {name: v for name, v in values.items() if v is not None})


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
