"""Messages as customers receive them: language, money, items, escaping, strictness."""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from journey_schema.journey_files import load_release
from journey_schema.release import Release
from rendering.context import CONTEXT_NAMES, message_context, sample_cart, sample_links
from rendering.formatting import format_date, format_money
from rendering.links import MessageLinks
from rendering.live import IssuedCoupon, LiveContent, ProductNow, Recommendation
from rendering.message import (
    RenderedMessage,
    RenderError,
    TemplateMissing,
    render_message,
    render_parts,
)
from rendering.sms import sms_segments, with_opt_out
from tests.factories import make_cart, make_customer, make_item
from tests.unit.journey_files import REPO_JOURNEYS, message_files
from workflows.payloads import Cart, Channel

NBSP = "\u00a0"
LINKS = MessageLinks(
    checkout_url="https://track.example/c/checkout",
    item_urls={"SKU-1": "https://track.example/c/sku-1"},
    open_pixel_url="https://track.example/o/pixel.gif",
)


@functools.cache
def shipped_journey() -> Release:
    return load_release(REPO_JOURNEYS, "abandoned_cart", 1)


def shipped(template: str, cart: Cart, links: MessageLinks = LINKS) -> RenderedMessage:
    pinned = shipped_journey()
    return render_message(
        templates=pinned.templates_for(template),
        template=template,
        locale=cart.customer.locale,
        default_locale=pinned.definition.locale,
        context=message_context(cart, links),
    )


def two_item_cart(locale: str, currency: str = "TRY", **customer: object) -> Cart:
    items = [
        make_item(sku="SKU-1", name="Koşu Ayakkabısı", quantity=1, unit_price=Decimal("1299.90")),
        make_item(
            sku="SKU-2",
            name="Spor Çorap",
            quantity=3,
            unit_price=Decimal("45.00"),
            image_url=None,
            url=None,
        ),
    ]
    return make_cart(
        items=items, currency=currency, customer=make_customer(locale=locale, **customer)
    )


# --- money and dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("currency", "locale", "expected"),
    [
        ("TRY", "tr-TR", "₺1.299,90"),
        ("TRY", "tr_TR", "₺1.299,90"),
        ("TRY", "tr", "₺1.299,90"),
        ("TRY", "en", f"TRY{NBSP}1,299.90"),
        ("TRY", "en-US", f"TRY{NBSP}1,299.90"),
        ("USD", "en-US", "$1,299.90"),
        ("EUR", "tr-TR", "€1.299,90"),
        ("TRY", "xx-YY", f"TRY{NBSP}1,299.90"),  # unknown locale: English, not a crash
    ],
)
def test_money_is_formatted_by_locale(currency: str, locale: str, expected: str) -> None:
    assert format_money(Decimal("1299.90"), currency, locale) == expected


def test_dates_are_formatted_by_locale() -> None:
    assert format_date(date(2026, 11, 22), "tr-TR") == "22 Kas 2026"
    assert format_date(date(2026, 11, 22), "en", "long") == "November 22, 2026"


# --- the shipped templates ---------------------------------------------------------------


def test_turkish_reminder_lists_the_cart_in_turkish_money() -> None:
    message = shipped("reminder", two_item_cart("tr-TR"))

    assert message.locale == "tr"
    assert message.subject == "Ayşe, sepetindeki ürünler seni bekliyor"
    assert "Merhaba Ayşe," in message.html
    assert '<img src="https://shop.example/i/1.jpg" width="72" height="72"' in message.html
    assert "Koşu Ayakkabısı" in message.html and "Spor Çorap" in message.html
    assert "Adet: 1 &times; ₺1.299,90" in message.html
    assert "Adet: 3 &times; ₺45,00" in message.html
    assert "₺135,00" in message.html  # line total
    assert "₺1.434,90" in message.html  # cart total
    assert message.html.count('href="https://track.example/c/sku-1"') == 2  # image and name
    assert 'href="https://track.example/c/checkout"' in message.html
    assert "- Spor Çorap: 3 x ₺45,00 = ₺135,00" in message.text
    assert "Toplam: ₺1.434,90" in message.text
    assert "https://track.example/c/checkout" in message.text


def test_english_messages_for_an_english_customer() -> None:
    message = shipped("last_chance", two_item_cart("en-US", currency="USD", first_name=None))

    assert message.locale == "en"
    assert message.subject == "One last reminder about your cart"
    assert "Hi there," in message.html and "Hi there," in message.text
    assert "Quantity: 3 &times; $45.00" in message.html
    assert "Total: $1,434.90" in message.text


@pytest.mark.parametrize("template", ["reminder", "still_thinking", "nudge", "last_chance"])
@pytest.mark.parametrize("locale", ["tr-TR", "en-GB"])
def test_every_shipped_message_renders_with_pixel_and_checkout_link(
    template: str, locale: str
) -> None:
    message = shipped(template, two_item_cart(locale))

    assert message.subject and "\n" not in message.subject
    assert '<img src="https://track.example/o/pixel.gif" width="1" height="1" alt=""' in (
        message.html
    )
    assert "https://track.example/c/checkout" in message.html
    assert "https://track.example/c/checkout" in message.text


@pytest.mark.parametrize(
    ("locale", "html_label", "text_line"),
    [
        ("tr-TR", ">Abonelikten çık</a>", "Abonelikten çıkmak için: https://track.example/u/abc"),
        ("en", ">Unsubscribe</a>", "Unsubscribe: https://track.example/u/abc"),
    ],
)
@pytest.mark.parametrize("template", ["reminder", "still_thinking", "nudge", "last_chance"])
def test_every_shipped_email_ends_with_the_unsubscribe_link(
    template: str, locale: str, html_label: str, text_line: str
) -> None:
    links = LINKS.model_copy(update={"unsubscribe_url": "https://track.example/u/abc"})
    message = shipped(template, two_item_cart(locale), links)

    assert '<a href="https://track.example/u/abc" target="_blank"' in message.html
    assert html_label in message.html
    assert message.text.rstrip().endswith(text_line)


def test_no_unsubscribe_line_without_an_unsubscribe_url() -> None:
    message = shipped("reminder", two_item_cart("en"))

    assert "Unsubscribe" not in message.html and "Unsubscribe" not in message.text


@pytest.mark.parametrize(
    ("locale", "expected", "encoding"),
    [
        (
            "tr-TR",
            "Merhaba Ayşe, sepetin seni bekliyor. Alışverişini tamamla: "
            "https://track.example/c/checkout\nSMS almamak için RET yazıp yanıtlayın.",
            "UCS-2",
        ),
        (
            "en",
            "Hi Ayşe, your cart is saved just as you left it. Finish your order: "
            "https://track.example/c/checkout\nReply STOP to opt out.",
            "UCS-2",  # one ş is enough
        ),
        (
            "de-DE",
            "Your cart is saved just as you left it. Finish your order: "
            "https://track.example/c/checkout\nReply STOP to opt out.",
            "GSM-7",
        ),
    ],
)
def test_the_shipped_sms_nudge_in_the_customers_language(
    locale: str, expected: str, encoding: str
) -> None:
    pinned = load_release(REPO_JOURNEYS, "abandoned_cart", 2, channels=frozenset(Channel))
    first_name = None if locale == "de-DE" else "Ayşe"
    cart = two_item_cart(locale, first_name=first_name)

    rendered = render_parts(
        channel="sms",
        templates=pinned.templates_for("nudge"),
        template="nudge",
        locale=cart.customer.locale,
        default_locale=pinned.definition.locale,
        context=message_context(cart, LINKS),
    )
    text = with_opt_out(rendered.parts["sms"], rendered.locale.split("-")[0])

    assert text == expected
    assert sms_segments(text).encoding == encoding
    assert sms_segments(text).segments <= pinned.definition.sms_max_segments


def test_no_pixel_when_tracking_is_off() -> None:
    links = MessageLinks(checkout_url="https://shop.example/checkout/abc")
    message = shipped("reminder", two_item_cart("en"), links)

    assert 'width="1" height="1"' not in message.html


def test_a_product_name_with_markup_is_escaped_in_html() -> None:
    cart = make_cart(items=[make_item(name='<script>alert("x")</script> Shoe')])
    message = shipped("reminder", cart)

    assert "<script>" not in message.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Shoe" in message.html
    assert '<script>alert("x")</script> Shoe' in message.text  # plain text stays plain


# --- locale fallback and errors ----------------------------------------------------------


def tiny_templates(*locales: str) -> dict[str, str]:
    files: dict[str, str] = {}
    for locale in locales:
        files.update(
            message_files(
                "hello",
                locale,
                subject=f"{locale}\n  subject  ",
                html=f"<p>{locale}</p>",
                txt=locale,
            )
        )
    return files


@pytest.mark.parametrize(
    ("available", "customer_locale", "default_locale", "chosen"),
    [
        (("tr", "en"), "tr-TR", "en", "tr"),
        (("tr", "tr-TR", "en"), "tr_TR", "en", "tr-TR"),
        (("tr", "en"), "de-DE", "en", "en"),
        (("tr",), "en-US", "tr", "tr"),
        (("en",), "en-GB", "en-US", "en"),
    ],
)
def test_locale_falls_back_from_region_to_language_to_the_default(
    available: tuple[str, ...], customer_locale: str, default_locale: str, chosen: str
) -> None:
    message = render_message(
        templates=tiny_templates(*available),
        template="hello",
        locale=customer_locale,
        default_locale=default_locale,
        context={},
    )

    assert (message.locale, message.subject, message.text) == (chosen, f"{chosen} subject", chosen)


def test_a_template_with_no_usable_locale_is_missing() -> None:
    with pytest.raises(
        TemplateMissing,
        match="template 'hello' does not exist for any of the locales de-DE, de, en",
    ):
        render_message(
            templates=tiny_templates("tr"),
            template="hello",
            locale="de-DE",
            default_locale="en",
            context={},
        )


def test_half_a_translation_is_missing_not_silently_replaced() -> None:
    templates = tiny_templates("en", "tr")
    del templates["hello/tr.txt"]

    with pytest.raises(TemplateMissing, match="template 'hello' is missing hello/tr.txt"):
        render_message(
            templates=templates, template="hello", locale="tr", default_locale="en", context={}
        )


def test_an_undefined_variable_is_an_error_naming_file_and_line() -> None:
    templates = tiny_templates("en")
    templates["hello/en.txt"] = "Hello\n{{ customer.nickname }}"
    cart = make_cart()

    with pytest.raises(RenderError) as failed:
        render_message(
            templates=templates,
            template="hello",
            locale="en",
            default_locale="en",
            context=message_context(cart, LINKS),
        )
    assert str(failed.value) == (
        "hello/en.txt line 2: undefined: 'dict object' has no attribute 'nickname'"
    )


def test_the_sandbox_refuses_attribute_escapes() -> None:
    templates = tiny_templates("en")
    templates["hello/en.html"] = "{{ customer.__class__.__subclasses__() }}"

    with pytest.raises(RenderError, match="hello/en.html line 1: not allowed in a template"):
        render_message(
            templates=templates,
            template="hello",
            locale="en",
            default_locale="en",
            context=message_context(make_cart(), LINKS),
        )


def test_an_empty_subject_is_an_error() -> None:
    templates = tiny_templates("en")
    templates["hello/en.subject"] = "{{ '' }}\n"

    with pytest.raises(RenderError, match="hello/en.subject: the subject is empty"):
        render_message(
            templates=templates, template="hello", locale="en", default_locale="en", context={}
        )


# --- the context -------------------------------------------------------------------------


def test_the_context_is_exactly_the_documented_names() -> None:
    context = message_context(two_item_cart("tr-TR"), LINKS)

    assert set(context) == CONTEXT_NAMES
    first, second = context["items"]
    assert first == {
        "sku": "SKU-1",
        "name": "Koşu Ayakkabısı",
        "quantity": 1,
        "unit_price": "₺1.299,90",
        "line_total": "₺1.299,90",
        "snapshot_price": "₺1.299,90",
        "price_dropped": False,
        "in_stock": True,  # no catalog: the snapshot is all we know
        "low_stock": False,
        "image_url": "https://shop.example/i/1.jpg",
        "url": "https://track.example/c/sku-1",
    }
    assert second["url"] == "https://track.example/c/checkout"  # no product URL: checkout
    assert (context["item_count"], context["quantity"]) == (2, 4)
    assert context["customer"]["first_name"] == "Ayşe"
    assert (context["locale"], context["language"]) == ("tr-TR", "tr")
    assert context["coupon"] is None and context["recommendations"] == []
    assert context["total_now"] == context["total"]  # no catalog: the total as sent


def test_live_content_shows_the_cart_as_it_is_now_with_the_coupon_in_the_locale() -> None:
    cart = two_item_cart("tr-TR")
    shoes, socks = cart.items
    live = LiveContent(
        coupon=IssuedCoupon(
            code="CN-7Q2K",
            percent=Decimal(10),
            expires_at=datetime(2026, 12, 3, 21, 30, tzinfo=UTC),
        ),
        catalog={
            shoes.sku: ProductNow(
                sku=shoes.sku, available=True, price=Decimal("999.90"), inventory=2
            ),
            socks.sku: ProductNow(sku=socks.sku, available=False),
        },
        recommendations=[Recommendation(sku="TIGHTS", name="Koşu Taytı", price=Decimal("349.90"))],
    )

    context = message_context(cart, LINKS, live)

    first, second = context["items"]
    assert (first["unit_price"], first["snapshot_price"]) == ("₺999,90", "₺1.299,90")
    assert first["price_dropped"] and first["low_stock"] and first["in_stock"]
    assert not second["in_stock"] and not second["low_stock"]
    assert context["total_now"] == "₺999,90"  # today's price, the sold-out socks left out
    assert context["coupon"]["code"] == "CN-7Q2K"
    assert context["coupon"]["value"] == "%10"  # Turkish writes the sign first
    # in the customer's timezone (Istanbul, UTC+3) and words, to the minute
    assert context["coupon"]["expires_at"] == "4 Ara 2026 00:30"
    (recommended,) = context["recommendations"]
    assert (recommended["name"], recommended["price"]) == ("Koşu Taytı", "₺349,90")


@pytest.mark.parametrize("locale", ["tr-TR", "en", "pt-BR"])
def test_sample_carts_are_valid_and_localised(locale: str) -> None:
    full, minimal = sample_cart(locale), sample_cart(locale, minimal=True)

    assert full.customer.first_name and minimal.customer.first_name is None
    assert all(item.image_url is None for item in minimal.items)
    assert sample_links(full).open_pixel_url
    assert re.fullmatch(r"[A-Z]{3}", full.currency)


def test_templates_can_format_money_themselves() -> None:
    templates = tiny_templates("en")
    templates["hello/en.txt"] = '{{ 0.1 | money("EUR", locale) }} {{ 1299.9 | money("TRY", "tr") }}'

    message = render_message(
        templates=templates,
        template="hello",
        locale="en",
        default_locale="en",
        context={"locale": "en"},
    )
    assert message.text == "€0.10 ₺1.299,90"
