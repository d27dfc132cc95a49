"""What a message template sees: the cart, formatted for the customer's locale.

Templates get plain dicts and strings, never the pydantic models: what is listed here is
the whole contract (journeys/README.md documents it), and validation refuses templates that
use anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rendering.formatting import format_day_and_time, format_money, format_percent
from rendering.links import MessageLinks
from rendering.live import (
    DEFAULT_LOW_STOCK_BELOW,
    IssuedCoupon,
    LiveContent,
    ProductNow,
    Recommendation,
)
from rendering.locales import language_of, normalize_locale
from workflows.payloads import Cart, LineItem, Shopper, ShopperConsent

# Top-level names every template may use; validation checks templates against this list.
CONTEXT_NAMES = frozenset(
    {
        "customer",
        "items",
        "item_count",
        "quantity",
        "total",
        "currency",
        "checkout_url",
        "open_pixel_url",
        "unsubscribe_url",
        "shop",
        "locale",
        "language",
        "coupon",
        "recommendations",
        "total_now",
    }
)


def message_context(
    cart: Cart, links: MessageLinks, live: LiveContent | None = None
) -> dict[str, Any]:
    """The names a template sees. `live` is what the send gathered right before rendering
    (rendering/live.py); without it, the snapshot as the shop sent it."""
    live = live or LiveContent()
    locale = normalize_locale(cart.customer.locale)

    def money(amount: Decimal) -> str:
        return format_money(amount, cart.currency, locale)

    items = [
        _item(item, live.catalog.get(item.sku), live.low_stock_below, links, money)
        for item in cart.items
    ]
    return {
        "customer": {
            "id": cart.customer.id,
            "first_name": cart.customer.first_name,
            "locale": locale,
            "language": language_of(locale),
        },
        "items": items,
        "item_count": len(items),
        "quantity": sum(item.quantity for item in cart.items),
        "total": money(cart.total),
        # The items at the catalog's prices, sold-out ones left out; the total as sent
        # when the shop has no catalog (or it did not answer).
        "total_now": money(_total_now(cart, live)),
        "currency": cart.currency,
        "checkout_url": links.checkout_url,
        "open_pixel_url": links.open_pixel_url,
        "unsubscribe_url": links.unsubscribe_url,
        "shop": cart.shop,
        "locale": locale,
        "language": language_of(locale),
        # None in a step without an offer: validation refuses templates that use it there.
        "coupon": _coupon(live.coupon, cart, locale) if live.coupon else None,
        # The source leaves out what is in the cart and what is out of stock.
        "recommendations": [
            _recommendation(product, links, money) for product in live.recommendations
        ],
    }


def _item(
    item: LineItem,
    now: ProductNow | None,
    low_stock_below: int,
    links: MessageLinks,
    money: Any,
) -> dict[str, Any]:
    """One cart line, at the catalog's current price and stock when the catalog answered."""
    price = now.price if now is not None and now.price is not None else item.unit_price
    return {
        "sku": item.sku,
        "name": item.name,
        "quantity": item.quantity,
        "unit_price": money(price),
        "line_total": money(price * item.quantity),
        # The price in the snapshot, for "was ... now ..." when it dropped since.
        "snapshot_price": money(item.unit_price),
        "price_dropped": price < item.unit_price,
        "in_stock": now.available if now is not None else True,
        "low_stock": bool(
            now is not None
            and now.available
            and now.inventory is not None
            and now.inventory < low_stock_below
        ),
        "image_url": item.image_url or (now.image_url if now is not None else None),
        # Every link in a message leads back to the shop through click tracking.
        "url": links.item_urls.get(item.sku, links.checkout_url),
    }


def _total_now(cart: Cart, live: LiveContent) -> Decimal:
    if not live.catalog:
        return cart.total
    total = Decimal(0)
    for item in cart.items:
        now = live.catalog.get(item.sku)
        if now is not None and not now.available:
            continue
        price = now.price if now is not None and now.price is not None else item.unit_price
        total += price * item.quantity
    return total


def _coupon(coupon: IssuedCoupon, cart: Cart, locale: str) -> dict[str, str]:
    if coupon.percent is not None:
        value = format_percent(coupon.percent, locale)
    else:
        assert coupon.amount is not None
        value = format_money(coupon.amount, cart.currency, locale)
    expires = coupon.expires_at.astimezone(_timezone(cart.customer.timezone))
    return {
        "code": coupon.code,
        "value": value,
        "expires_at": format_day_and_time(expires, locale),
    }


def _recommendation(product: Recommendation, links: MessageLinks, money: Any) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "price": money(product.price) if product.price is not None else None,
        "image_url": product.image_url,
        "url": links.item_urls.get(product.sku, links.checkout_url),
    }


def _timezone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def sample_cart(locale: str, *, minimal: bool = False) -> Cart:
    """A realistic cart to render templates with before a journey is accepted.

    `minimal=True` leaves out everything optional (first name, images, product URLs), so a
    template that only works when they are present fails validation too.
    """
    turkish = language_of(locale) == "tr"
    items = [
        LineItem(
            sku="SAMPLE-1",
            name="Koşu Ayakkabısı" if turkish else "Running shoes",
            quantity=1,
            unit_price=Decimal("1299.90"),
            image_url=None if minimal else "https://shop.example/i/sample-1.jpg",
            url=None if minimal else "https://shop.example/p/sample-1",
        ),
        LineItem(
            sku="SAMPLE-2",
            name="Spor Çorap <3'lü paket>" if turkish else "Sport socks <3-pack>",
            quantity=2,
            unit_price=Decimal("89.50"),
            image_url=None if minimal else "https://shop.example/i/sample-2.jpg",
        ),
    ]
    return Cart(
        shop="sample",
        updated_at=datetime(2026, 11, 22, 10, 0, tzinfo=UTC),
        currency="TRY" if turkish else "USD",
        total=sum((item.unit_price * item.quantity for item in items), Decimal("0")),
        checkout_url="https://shop.example/checkout/sample",
        customer=Shopper(
            id="sample-customer",
            email="sample@example.com",
            first_name=None if minimal else ("Ayşe" if turkish else "Alex"),
            locale=normalize_locale(locale),
            consent=ShopperConsent(email=True),
        ),
        items=items,
    )


def sample_live(
    cart: Cart,
    *,
    coupon: bool,
    minimal: bool = False,
    catalog: bool = True,
    low_stock_below: int = DEFAULT_LOW_STOCK_BELOW,
) -> LiveContent:
    """What a send may gather, for validation's renders: a price drop, a low stock item and
    two recommendations; `coupon=True` for a step with an offer. `minimal=True` gathers
    nothing (no catalog, no history), so templates must read well without it too;
    `catalog=False` leaves the cart's own prices and stock (a cart the marketer gave)."""
    offer = (
        IssuedCoupon(
            code="SAMPLE-10OFF",
            percent=Decimal(10),
            expires_at=cart.updated_at + timedelta(hours=48),
        )
        if coupon
        else None
    )
    if minimal or not cart.items:
        return LiveContent(coupon=offer)
    first, *rest = cart.items
    products = {first.sku: ProductNow(sku=first.sku, available=True, inventory=2)}
    if rest:
        products[rest[0].sku] = ProductNow(
            sku=rest[0].sku,
            available=True,
            price=(rest[0].unit_price * Decimal("0.8")).quantize(Decimal("0.01")),  # 20% off
        )
    turkish = language_of(cart.customer.locale) == "tr"
    recommendations = [
        Recommendation(
            sku="SAMPLE-REC-1",
            name="Koşu Taytı" if turkish else "Running tights",
            price=Decimal("349.90"),
            image_url="https://shop.example/i/sample-rec-1.jpg",
            url="https://shop.example/p/sample-rec-1",
        ),
        Recommendation(sku="SAMPLE-REC-2", name="Su Şişesi" if turkish else "Water bottle"),
    ]
    return LiveContent(
        coupon=offer,
        catalog=products if catalog else {},
        recommendations=recommendations,
        low_stock_below=low_stock_below,  # the journey's, so "only a few left" is as sent
    )


def sample_links(cart: Cart, *, short_link: str | None = None) -> MessageLinks:
    """Untracked-looking but distinct URLs, so validation can see the pixel is rendered.

    `short_link`: a short link of the deployment's length (tracking/short_links.py), which
    SMS and push carry in place of every cart and item link: each link is then that URL,
    so a text is measured with the links it is sent with.
    """
    if short_link is not None:
        return MessageLinks(
            checkout_url=short_link,
            item_urls={item.sku: short_link for item in cart.items},
            open_pixel_url="https://track.example/o/sample.gif",
        )
    return MessageLinks(
        checkout_url=cart.checkout_url,
        item_urls={item.sku: f"https://track.example/c/{item.sku}" for item in cart.items},
        open_pixel_url="https://track.example/o/sample.gif",
        unsubscribe_url="https://track.example/u/sample",
    )
