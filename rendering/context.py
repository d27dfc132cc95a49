"""What a message template sees: the cart, formatted for the customer's locale.

Templates get plain dicts and strings, never the pydantic models: what is listed here is
the whole contract (journeys/README.md documents it), and validation refuses templates that
use anything else.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rendering.formatting import format_money
from rendering.links import MessageLinks
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
    }
)


def message_context(cart: Cart, links: MessageLinks) -> dict[str, Any]:
    locale = normalize_locale(cart.customer.locale)

    def money(amount: Decimal) -> str:
        return format_money(amount, cart.currency, locale)

    items = [
        {
            "sku": item.sku,
            "name": item.name,
            "quantity": item.quantity,
            "unit_price": money(item.unit_price),
            "line_total": money(item.unit_price * item.quantity),
            "image_url": item.image_url,
            # Every link in a message leads back to the shop through click tracking.
            "url": links.item_urls.get(item.sku, links.checkout_url),
        }
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
        "currency": cart.currency,
        "checkout_url": links.checkout_url,
        "open_pixel_url": links.open_pixel_url,
        "unsubscribe_url": links.unsubscribe_url,
        "shop": cart.shop,
        "locale": locale,
        "language": language_of(locale),
    }


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
