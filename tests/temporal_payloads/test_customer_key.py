"""How on-call finds a customer's carts now that no search attribute holds the customer's
id: `cartnudge customer-key` prints the query, keyed with the secret key."""

from __future__ import annotations

import io
from pathlib import Path

from cli.main import run
from tests.support.temporal import settings_for_tests
from workflows.search_attributes import customer_key, initial_search_attributes

EMAIL = "ayse@example.com"


async def test_the_cli_prints_the_query_that_finds_the_customers_carts(tmp_path: Path) -> None:
    settings = settings_for_tests(database_url=f"sqlite+aiosqlite:///{tmp_path}/unused.db")
    out = io.StringIO()

    await run(["customer-key", "kedi", EMAIL], settings=settings, out=out)

    key = customer_key(settings.secret_key.get_secret_value(), shop="kedi", customer_id=EMAIL)
    assert out.getvalue() == f'ShopId = "kedi" AND CustomerKey = "{key}"\n'


def test_the_key_hides_the_id_and_depends_on_the_secret_and_the_shop() -> None:
    key = customer_key("secret-one" * 4, shop="kedi", customer_id=EMAIL)

    assert EMAIL not in key and "ayse" not in key and len(key) == 32
    assert key != customer_key("secret-two" * 4, shop="kedi", customer_id=EMAIL)
    assert key != customer_key("secret-one" * 4, shop="other", customer_id=EMAIL)


def test_the_start_attributes_carry_no_customer_id() -> None:
    attributes = initial_search_attributes(
        shop="kedi", cart_id="c1", customer_key="ab" * 16, cart_total=10.0
    )

    names = {pair.key.name for pair in attributes.search_attributes}
    assert "CustomerId" not in names and "CustomerKey" in names
