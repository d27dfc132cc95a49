"""The condition language of entry.when and branch: what it accepts, refuses, and means."""

from __future__ import annotations

from decimal import Decimal

import pytest

from contract.carts import Consent
from journey_schema import expressions
from tests.factories import make_cart, make_customer, make_item
from workflows.cart_values import cart_values
from workflows.payloads import CustomerFacts

CART = make_cart(
    items=[
        make_item(sku="SKU-1", quantity=2, unit_price=Decimal("24.95")),
        make_item(sku="SKU-2", quantity=1, unit_price=Decimal("0.10")),
    ],
    total=Decimal("49.90"),
    customer=make_customer(
        locale="tr_tr", phone=None, consent=Consent(email=True, sms=False), timezone=None
    ),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cart.total >= 49.90", True),
        ("cart.total == 49.9", True),
        ("cart.total > 49.9", False),
        ("cart.total >= 50", False),
        ("0 < cart.total < 100", True),
        ("0 < cart.total < 10", False),
        ("cart.total > -1", True),
        ('cart.currency == "TRY"', True),
        ("cart.item_count == 2", True),
        ("cart.quantity == 3", True),
        ('"SKU-2" in cart.skus', True),
        ("'SKU-9' not in cart.skus", True),
        ('customer.locale == "tr-TR"', True),
        ('customer.language in ["tr", "az"]', True),
        ('customer.language not in ("tr",)', False),
        ("customer.has_email and not customer.has_phone", True),
        ("customer.consent.email == true and customer.consent.sms == False", True),
        ("customer.consent.sms or customer.consent.push", False),
        ("not (cart.total < 10 or cart.item_count > 5)", True),
        ('customer.first_name == "Ayşe"', True),
        ('"yş" in customer.first_name', True),
        ('customer.id == "c-1" and cart.shop == "demo_shop"', True),
        ("true", True),
        ("cart.skus == []", False),
    ],
)
def test_conditions_evaluate_as_a_marketer_expects(text: str, expected: bool) -> None:
    expressions.check(text)
    assert expressions.evaluate(text, cart_values(CART)) is expected


def test_what_the_shop_knows_of_the_customer_is_a_number_and_a_list() -> None:
    loyal = make_cart(customer=make_customer(orders_count=3, tags=["vip"]))
    values = cart_values(loyal)

    assert expressions.evaluate("customer.orders_count >= 3", values)
    assert expressions.evaluate('"vip" in customer.tags', values)
    # a shop that does not send them: no count, no tags
    unknown = cart_values(CART)
    assert not expressions.evaluate("customer.orders_count >= 0", unknown)
    assert expressions.evaluate("customer.tags == []", unknown)


def test_looked_up_names_are_found_and_only_those() -> None:
    text = "customer.coupons_sent_30d == 0 and cart.total > 50 or cart.out_of_stock_count > 0"

    assert expressions.looked_up_names(text) == {
        "customer.coupons_sent_30d",
        "cart.out_of_stock_count",
    }
    assert expressions.looked_up_names("cart.total > 50") == frozenset()


def test_money_compares_exactly_as_decimal() -> None:
    cart = make_cart(items=[make_item(unit_price=Decimal("0.30"))], total=Decimal("0.30"))

    # 0.1 + 0.2 != 0.3 in floats; literals here are read from the text, as Decimal.
    assert expressions.evaluate("cart.total == 0.3", cart_values(cart)) is True
    assert expressions.evaluate("cart.total == 0.30000000000000004", cart_values(cart)) is False


def test_a_missing_first_name_compares_sanely() -> None:
    cart = make_cart(customer=make_customer(first_name=None))

    assert expressions.evaluate('customer.first_name == "Ayşe"', cart_values(cart)) is False
    assert expressions.evaluate('customer.first_name != "Ayşe"', cart_values(cart)) is True
    assert expressions.evaluate('customer.first_name == ""', cart_values(cart)) is False
    assert expressions.evaluate('"A" in customer.first_name', cart_values(cart)) is False
    assert expressions.evaluate('"A" not in customer.first_name', cart_values(cart)) is True
    assert expressions.evaluate("customer.first_name", cart_values(cart)) is False
    assert expressions.evaluate("not customer.first_name", cart_values(cart)) is True


def test_a_missing_timezone_is_in_no_list() -> None:
    cart = make_cart(customer=make_customer(timezone=None))

    assert (
        expressions.evaluate('customer.timezone in ["Europe/Istanbul"]', cart_values(cart)) is False
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("cart.totl > 5", "unknown name 'cart.totl'; did you mean 'cart.total'?"),
        ("cart.__class__", "unknown name 'cart.__class__'"),
        ("cart.total.__class__", "unknown name 'cart.total.__class__'"),
        ("().__class__.__bases__", "is not allowed"),
        ("cart.items[0]", "indexing with [...] is not allowed: 'cart.items[0]'"),
        ("__import__('os')", "calling a function is not allowed"),
        ("cart.skus.pop()", "calling a function is not allowed"),
        ("cart.total + 1 > 5", "arithmetic is not allowed: 'cart.total + 1'"),
        ("-cart.total < 0", "arithmetic is not allowed: '-cart.total'"),
        ("(x := 5)", "assignment is not allowed"),
        ("lambda: 1", "lambda is not allowed"),
        ("cart.total if true else 0", "`x if y else z` is not allowed"),
        ("cart.total is 5", "`is` is not allowed: use == or !="),
        ("cart > 5", "'cart' alone is not a value: use one of cart.total"),
        ("total > 5", "unknown name 'total'"),
        (
            "cart.total > '5'",
            "`>` compares numbers only: 'cart.total' is a number and \"'5'\" is text",
        ),
        ('customer.first_name < "M"', "`<` compares numbers only"),
        ('cart.total == "50"', "is compared with '\"50\"' (text): that is never equal"),
        ("cart.total in cart.skus", "`in` needs 'cart.total' (a number) on the left"),
        ('[1, "a"] == cart.skus', "a list holds numbers only or text only"),
        ("[cart.total] == [1]", "a list holds numbers only or text only, written out"),
        ('"cart.total > 5"', "is not a condition"),
        ("cart.skus", "is not a condition"),
        ("None == cart.currency", "'None' is not allowed"),
        ("cart.total >", "syntax error"),
        ("", "the condition is empty"),
    ],
)
def test_refused_conditions_say_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as refused:
        expressions.check(text)
    assert problem in str(refused.value)


def test_evaluate_refuses_what_check_refuses() -> None:
    with pytest.raises(ValueError, match="calling a function is not allowed"):
        expressions.evaluate("open('/etc/passwd')", cart_values(CART))


def test_every_documented_name_has_a_value() -> None:
    values = cart_values(CART)

    # the looked-up ones come from an activity (workflows.payloads.CustomerFacts)
    assert set(values) | expressions.LOOKED_UP == set(expressions.NAMES)
    assert (
        set(CustomerFacts(coupons_sent_30d=0, recovered_carts_90d=0, out_of_stock_count=0).values())
        == expressions.LOOKED_UP
    )
    for name in expressions.NAMES:
        expressions.check(f"{name} == {name}")
