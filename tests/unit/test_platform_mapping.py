"""Shopify and WooCommerce payloads, as their docs shape them, read as our carts and orders;
what can not be read is named by its path in the platform's payload."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.platforms import (
    Ignored,
    MappingError,
    PlatformCart,
    ShopDefaults,
    parse_json,
    shopify,
    woocommerce,
)
from contract.carts import CartItem, CartSnapshot, Consent, Customer
from contract.orders import DiscountCode, OrderIn, OrderItem

PAYLOADS = Path(__file__).parents[1] / "api" / "payloads"
SHOP = ShopDefaults(shop="kedi_shop", locale="tr-TR", currency="TRY", timezone="Europe/Istanbul")
EST = timezone(timedelta(hours=-5))
TOKEN = "1f8d5c2a9b7e4d3c8a6f0e2b4d6c8a1e"


def payload(name: str) -> Any:
    return parse_json((PAYLOADS / name).read_bytes())


@pytest.fixture
def checkout() -> dict[str, Any]:
    loaded: dict[str, Any] = payload("shopify_checkouts_create.json")
    return loaded


@pytest.fixture
def shopify_order() -> dict[str, Any]:
    loaded: dict[str, Any] = payload("shopify_orders_create.json")
    return loaded


@pytest.fixture
def woo_order() -> dict[str, Any]:
    loaded: dict[str, Any] = payload("woocommerce_order_processing.json")
    return loaded


def cart_of(checkout: dict[str, Any]) -> CartSnapshot:
    mapped = shopify.checkout_cart(checkout, SHOP)
    assert isinstance(mapped, PlatformCart), mapped
    return mapped.snapshot


def problems(error: pytest.ExceptionInfo[MappingError]) -> list[tuple[Any, ...]]:
    return [loc for loc, _ in error.value.errors]


# --- Shopify checkouts -----------------------------------------------------------------


def test_a_documented_checkout_becomes_the_cart_snapshot(checkout: dict[str, Any]) -> None:
    mapped = shopify.checkout_cart(checkout, SHOP)

    assert mapped == PlatformCart(
        cart_id=TOKEN,
        snapshot=CartSnapshot(
            shop="kedi_shop",
            updated_at=datetime(2026, 11, 22, 10, 0, tzinfo=EST),
            currency="CAD",  # presentment currency: what the customer saw
            total=Decimal("421.88"),
            checkout_url="https://checkout.local/548380009/checkouts/ac/"
            f"{TOKEN}/recover?key=example-secret-token",
            customer=Customer(
                id="603851970716743426",  # beyond 2**53, kept whole
                email="john@example.com",
                phone="+16135550143",  # the customer's; the addresses' are not E.164
                first_name="John",
                locale="en-CA",
                timezone="Europe/Istanbul",  # Shopify does not say: the shop's
                consent=Consent(email=True, sms=False),
                orders_count=0,
            ),
            items=[
                CartItem(
                    sku="IPOD2008PINK",
                    name="IPod Nano - 8GB – Pink",
                    quantity=1,
                    unit_price=Decimal("199.00"),
                ),
                # no sku: the variant id, 2**53 + 1, exactly
                CartItem(
                    sku="9007199254740993",
                    name="Gift wrap",
                    quantity=2,
                    unit_price=Decimal("99.50"),
                ),
            ],
        ),
    )


def test_ids_beyond_2_53_survive_parsing_exactly() -> None:
    parsed = parse_json(b'{"id": 9007199254740993, "price": 19.99}')

    assert parsed == {"id": 9007199254740993, "price": Decimal("19.99")}


@pytest.mark.parametrize(
    ("currencies", "expected"),
    [
        ({"presentment_currency": "CAD", "currency": "USD"}, "CAD"),
        ({"presentment_currency": None, "currency": "USD"}, "USD"),
        ({"presentment_currency": None, "currency": None}, "TRY"),
    ],
)
def test_the_currency_is_the_customers_then_the_checkouts_then_the_shops(
    checkout: dict[str, Any], currencies: dict[str, Any], expected: str
) -> None:
    assert cart_of({**checkout, **currencies}).currency == expected


def test_a_guest_checkout_gets_a_customer_id_from_its_token(checkout: dict[str, Any]) -> None:
    guest = {**checkout, "customer": None, "email": "guest@example.com", "customer_locale": None}

    customer = cart_of(guest).customer

    assert (customer.id, customer.email, customer.locale) == (
        f"checkout:{TOKEN}",
        "guest@example.com",
        "tr-TR",  # no customer_locale: the shop's
    )
    assert customer.first_name == "Bob"  # from the billing address


def test_only_an_e164_phone_is_kept(checkout: dict[str, Any]) -> None:
    checkout["customer"]["phone"] = "613-555-0143"  # no country code
    assert cart_of(checkout).customer.phone is None

    checkout["shipping_address"]["phone"] = "+90 (532) 123 45 67"
    assert cart_of(checkout).customer.phone == "+905321234567"

    checkout["sms_marketing_phone"] = "+447700900123"  # the number given for SMS comes first
    assert cart_of(checkout).customer.phone == "+447700900123"


@pytest.mark.parametrize(
    ("given", "expected"),
    [("pt-BR", "pt-BR"), ("es-419", "es"), ("en", "en"), ("zz_Latn_XYZ", "zz"), ("!", "tr-TR")],
)
def test_a_locale_we_can_not_take_falls_back_to_its_language_then_the_shops(
    checkout: dict[str, Any], given: str, expected: str
) -> None:
    assert cart_of({**checkout, "customer_locale": given}).customer.locale == expected


@pytest.mark.parametrize(
    ("fields", "customer", "consent"),
    [
        ({"buyer_accepts_marketing": False}, {}, Consent()),
        ({"buyer_accepts_marketing": True}, {}, Consent(email=True)),
        (
            {"buyer_accepts_marketing": False},
            {"email_marketing_consent": {"state": "subscribed"}},
            Consent(email=True),
        ),
        (
            {"buyer_accepts_marketing": False, "buyer_accepts_sms_marketing": True},
            {},
            Consent(sms=True),
        ),
        (
            {"buyer_accepts_marketing": False},
            {"sms_marketing_consent": {"state": "subscribed", "opt_in_level": "single_opt_in"}},
            Consent(sms=True),
        ),
        (
            {"buyer_accepts_marketing": False},
            {"email_marketing_consent": {"state": "unsubscribed"}},
            Consent(),
        ),
    ],
)
def test_consent_comes_from_the_checkout_box_or_the_customers_marketing_consent(
    checkout: dict[str, Any], fields: dict[str, Any], customer: dict[str, Any], consent: Consent
) -> None:
    checkout.update(fields)
    checkout["customer"].update(customer)

    assert cart_of(checkout).customer.consent == consent


def test_a_product_without_variants_is_named_by_its_title(checkout: dict[str, Any]) -> None:
    checkout["line_items"][0]["variant_title"] = "Default Title"

    assert cart_of(checkout).items[0].name == "IPod Nano - 8GB"


def test_empty_line_items_are_an_emptied_cart(checkout: dict[str, Any]) -> None:
    snapshot = cart_of({**checkout, "line_items": [], "total_price": "0.00"})

    assert snapshot.is_empty


def test_a_completed_checkout_is_left_to_its_order(checkout: dict[str, Any]) -> None:
    mapped = shopify.checkout_cart({**checkout, "completed_at": "2026-11-22T11:30:00-05:00"}, SHOP)

    assert isinstance(mapped, Ignored)


def test_a_checkout_without_a_way_to_reach_the_customer_is_ignored(
    checkout: dict[str, Any],
) -> None:
    checkout.update(email=None, customer=None)

    mapped = shopify.checkout_cart(checkout, SHOP)

    assert isinstance(mapped, Ignored)
    assert "email" in mapped.reason


def test_every_bad_field_is_named_by_its_path_in_the_checkout(checkout: dict[str, Any]) -> None:
    checkout["line_items"][1]["price"] = "ninety-nine"
    checkout["line_items"][0]["quantity"] = 0
    del checkout["abandoned_checkout_url"]
    checkout["total_price"] = "-1.00"

    with pytest.raises(MappingError) as error:
        shopify.checkout_cart(checkout, SHOP)

    assert set(problems(error)) == {
        ("line_items", 1, "price"),
        ("line_items", 0, "quantity"),
        ("abandoned_checkout_url",),
        ("total_price",),
    }


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"token": None}, ("token",)),
        ({"token": "has spaces in it"}, ("token",)),
        ({"updated_at": "yesterday"}, ("updated_at",)),
        ({"updated_at": None}, ("updated_at",)),
        ({"presentment_currency": "dollars"}, ("presentment_currency",)),
        ({"line_items": None}, ("line_items",)),
        ({"email": "not an address"}, ("email",)),
    ],
)
def test_an_unreadable_checkout_names_the_field(
    checkout: dict[str, Any], change: dict[str, Any], path: tuple[Any, ...]
) -> None:
    with pytest.raises(MappingError) as error:
        shopify.checkout_cart({**checkout, **change}, SHOP)

    assert problems(error) == [path]


def test_a_line_item_without_sku_or_variant_is_named(checkout: dict[str, Any]) -> None:
    del checkout["line_items"][1]["variant_id"]

    with pytest.raises(MappingError) as error:
        shopify.checkout_cart(checkout, SHOP)

    assert problems(error) == [("line_items", 1, "variant_id")]


@pytest.mark.parametrize("body", [b"[1, 2]", b"{not json", b"\xff\xfe"])
def test_a_body_that_is_no_json_object_is_named_body(body: bytes) -> None:
    with pytest.raises(MappingError) as error:
        shopify.checkout_cart(parse_json(body), SHOP)

    assert problems(error) == [("body",)]


# --- Shopify orders ---------------------------------------------------------------------


def test_a_documented_order_ends_its_checkouts_cart(shopify_order: dict[str, Any]) -> None:
    assert shopify.order(shopify_order, SHOP) == OrderIn(
        shop="kedi_shop",
        order_id="820982911946154508",
        cart_id=TOKEN,
        total=Decimal("421.88"),
        currency="USD",
        placed_at=datetime(2026, 11, 22, 11, 30, tzinfo=EST),
        items=[
            OrderItem(
                sku="IPOD2008PINK",
                name="IPod Nano - 8GB – Pink",
                quantity=1,
                unit_price=Decimal("199.00"),
            ),
            # no sku: the variant id, as a checkout's line item is read
            OrderItem(
                sku="9007199254740993",
                name="Gift wrap",
                quantity=2,
                unit_price=Decimal("99.50"),
            ),
        ],
    )


# As Shopify's order webhook shows them: what each code took off, in the order's currency.
SHOPIFY_CODES = [
    {"code": "CN-7KQ2M9", "amount": "39.80", "type": "percentage"},
    {"code": "FREESHIP", "amount": "0.00", "type": "shipping"},
]


def test_a_shopify_orders_discount_codes_are_the_codes_it_used(
    shopify_order: dict[str, Any],
) -> None:
    mapped = shopify.order({**shopify_order, "discount_codes": SHOPIFY_CODES}, SHOP)

    assert isinstance(mapped, OrderIn)
    assert mapped.discount_codes == [
        DiscountCode(code="CN-7KQ2M9", amount=Decimal("39.80")),
        DiscountCode(code="FREESHIP", amount=Decimal("0.00")),
    ]


def test_an_orders_unreadable_lines_and_codes_are_left_out_not_the_order(
    shopify_order: dict[str, Any],
) -> None:
    """A custom line (no sku, no variant) or a code without text must not lose the order:
    its purchase ends the journey; the lines only feed recommendations."""
    shopify_order["line_items"][1].update(sku=None, variant_id=None)  # a custom item
    codes = [{"code": "", "amount": "5.00"}, *SHOPIFY_CODES, {"code": "cn-7kq2m9"}]

    mapped = shopify.order({**shopify_order, "discount_codes": codes}, SHOP)

    assert isinstance(mapped, OrderIn)
    assert [item.sku for item in mapped.items] == ["IPOD2008PINK"]
    # the same code again in another case is the same code: kept once
    assert [code.code for code in mapped.discount_codes] == ["CN-7KQ2M9", "FREESHIP"]


def test_an_order_keeps_as_many_lines_as_a_cart_can_hold(shopify_order: dict[str, Any]) -> None:
    line = shopify_order["line_items"][0]
    shopify_order["line_items"] = [{**line, "sku": f"S-{n}"} for n in range(260)]

    mapped = shopify.order(shopify_order, SHOP)

    assert isinstance(mapped, OrderIn)
    assert len(mapped.items) == 250
    assert mapped.items[-1].sku == "S-249"


def test_without_processed_at_the_order_was_placed_when_created(
    shopify_order: dict[str, Any],
) -> None:
    mapped = shopify.order({**shopify_order, "processed_at": None}, SHOP)

    assert isinstance(mapped, OrderIn)
    assert mapped.placed_at == datetime(2026, 11, 22, 11, 29, 58, tzinfo=EST)


def test_an_order_from_no_checkout_is_ignored(shopify_order: dict[str, Any]) -> None:
    pos_order = {**shopify_order, "checkout_token": None, "source_name": "pos"}

    assert isinstance(shopify.order(pos_order, SHOP), Ignored)


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"total_price": "a lot"}, ("total_price",)),
        ({"id": None}, ("id",)),
        ({"checkout_token": "no/slashes"}, ("checkout_token",)),
        ({"processed_at": "soon"}, ("processed_at",)),
    ],
)
def test_an_unreadable_order_names_the_field(
    shopify_order: dict[str, Any], change: dict[str, Any], path: tuple[Any, ...]
) -> None:
    with pytest.raises(MappingError) as error:
        shopify.order({**shopify_order, **change}, SHOP)

    assert problems(error) == [path]


# --- WooCommerce orders -----------------------------------------------------------------


def test_a_paid_woocommerce_order_ends_the_cart_its_meta_names(
    woo_order: dict[str, Any],
) -> None:
    assert woocommerce.order(woo_order, SHOP) == OrderIn(
        shop="kedi_shop",
        order_id="727",
        cart_id="abc",
        total=Decimal("1299.90"),
        currency="TRY",
        placed_at=datetime(2026, 11, 22, 10, 30, 2, tzinfo=UTC),  # date_paid_gmt
        items=[
            OrderItem(
                sku="SKU-1", name="Koşu Ayakkabısı", quantity=1, unit_price=Decimal("1083.25")
            )
        ],
    )


def test_a_woocommerce_orders_coupon_lines_and_lines_without_sku(
    woo_order: dict[str, Any],
) -> None:
    line = woo_order["line_items"][0]
    woo_order["line_items"] += [
        # a variation without its own sku, its price the line total over the quantity
        {
            **line,
            "sku": "",
            "product_id": 93,
            "variation_id": 95,
            "quantity": 3,
            "price": Decimal("33.3333333"),  # as parse_json reads it
        },
        {**line, "sku": "", "product_id": 97, "variation_id": 0},
    ]
    woo_order["coupon_lines"] = [
        {
            "id": 320,
            "code": "cn-7kq2m9",
            "discount": "144.43",
            "discount_tax": "28.89",
            "meta_data": [],
        }
    ]

    mapped = woocommerce.order(woo_order, SHOP)

    assert isinstance(mapped, OrderIn)
    assert [(i.sku, i.quantity, i.unit_price) for i in mapped.items] == [
        ("SKU-1", 1, Decimal("1083.25")),
        ("95", 3, Decimal("33.3333")),
        ("97", 1, Decimal("1083.25")),
    ]
    assert mapped.discount_codes == [DiscountCode(code="cn-7kq2m9", amount=Decimal("144.43"))]


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        ("processing", True),
        ("completed", True),
        ("pending", False),
        ("on-hold", False),
        ("failed", False),
        ("cancelled", False),
        ("refunded", False),
    ],
)
def test_only_a_paid_woocommerce_order_counts(
    woo_order: dict[str, Any], status: str, counts: bool
) -> None:
    mapped = woocommerce.order({**woo_order, "status": status}, SHOP)

    assert isinstance(mapped, OrderIn) is counts


def test_a_woocommerce_order_without_our_cart_id_is_ignored(woo_order: dict[str, Any]) -> None:
    woo_order["meta_data"] = [m for m in woo_order["meta_data"] if m["key"] != "_cartnudge_cart_id"]

    mapped = woocommerce.order(woo_order, SHOP)

    assert isinstance(mapped, Ignored)
    assert "_cartnudge_cart_id" in mapped.reason


def test_an_unpaid_woocommerce_order_was_placed_when_created(woo_order: dict[str, Any]) -> None:
    woo_order.update(date_paid_gmt=None, currency=None)

    mapped = woocommerce.order(woo_order, SHOP)

    assert isinstance(mapped, OrderIn)
    assert mapped.placed_at == datetime(2026, 11, 22, 10, 25, 41, tzinfo=UTC)
    assert mapped.currency == "TRY"  # the shop's


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"total": "-5"}, ("total",)),
        ({"id": None}, ("id",)),
        ({"date_paid_gmt": "2026-13-01T00:00:00"}, ("date_paid_gmt",)),
        ({"meta_data": [{"id": 1, "key": "_cartnudge_cart_id", "value": "a b"}]}, None),
    ],
)
def test_an_unreadable_woocommerce_order_names_the_field(
    woo_order: dict[str, Any], change: dict[str, Any], path: tuple[Any, ...] | None
) -> None:
    changed = copy.deepcopy({**woo_order, **change})

    with pytest.raises(MappingError) as error:
        woocommerce.order(changed, SHOP)

    assert problems(error) == [path or ("meta_data", 0, "value")]
