"""The send activity shows products bought together with the cart, from the nightly tables:
never what is in the cart, never what the shop's catalog says is sold out, each behind a
tracked link. The orders are the seeded set of tests/support/order_lines.py."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from catalog.lookup import CatalogLookup
from journey_schema.release import Release, release_id
from recommendations.refresh import refresh_shop
from tests.factories import add_shop, make_cart, make_item
from tests.support.catalogs import answering
from tests.support.messaging import TEST_RELEASE, send_activity, send_request
from tests.support.order_lines import SHOP, add_orders, seeded_orders
from tests.support.smtp import SmtpServer, body_text
from workflows.payloads import MessageStatus

CATALOG_URL = "https://shop.example/cartnudge/catalog"
LISTED = "{% for product in recommendations %}{{ product.name }} {{ product.url }}|{% endfor %}"


def recommending_release() -> Release:
    templates = {
        **TEST_RELEASE.templates,
        "reminder/tr.txt": LISTED,
        "reminder/tr.html": "<p>" + LISTED + "</p>",
    }
    definition = TEST_RELEASE.definition
    return Release(id=release_id(definition, templates), definition=definition, templates=templates)


async def test_the_reminder_shows_what_goes_with_the_cart_and_leaves_out_what_is_sold_out(
    session_factory: async_sessionmaker[AsyncSession], smtp_server: SmtpServer
) -> None:
    now = datetime.now(UTC)
    await add_shop(
        session_factory, shop=SHOP, key=None, catalog_source="endpoint", catalog_url=CATALOG_URL
    )
    await add_orders(session_factory, seeded_orders(now))
    await refresh_shop(session_factory, shop=SHOP, as_of=now)
    # shoes -> [tights, socks], then the popular bottle and cap; tights are sold out now
    catalog = answering(
        json={
            "products": [{"sku": "shoes", "in_stock": True}, {"sku": "tights", "in_stock": False}]
        }
    )
    release = recommending_release()
    activity = send_activity(
        session_factory,
        smtp_url=smtp_server.url,
        catalog=CatalogLookup(catalog.client()),
        release=release,
    )
    cart = make_cart(items=[make_item(sku="shoes", name="Trail shoes")])

    result = await activity.send(send_request(cart=cart, release_id=release.id))

    assert result.status == MessageStatus.SENT
    [email] = await smtp_server.wait_for_messages(1)
    shown = [entry.strip().split(" ") for entry in body_text(email, "plain").split("|")][:-1]
    assert [name for name, _ in shown] == ["Socks", "Bottle", "Cap"]
    assert all("/t/c/" in url for _, url in shown)  # tracked like the cart's own links
    # one catalog call for the cart and the candidates
    assert catalog.requests[0].url.params["skus"].split(",")[0] == "shoes"
    assert "tights" in catalog.requests[0].url.params["skus"]
