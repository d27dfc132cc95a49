"""`cartnudge customer-key SHOP CUSTOMER_ID`: how on-call finds a customer's carts in the
Temporal UI, where no search attribute carries the customer's id or email.

    cartnudge customer-key kedi ayse@example.com
    ShopId = "kedi" AND CustomerKey = "3f1c..."     (paste into the UI's search box)

Computed under CARTNUDGE_SECRET_KEY, so it must run with the API's settings.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from workflows.search_attributes import CUSTOMER_KEY, SHOP_ID, customer_key


async def customer_key_command(
    _session: AsyncSession, args: argparse.Namespace, out: TextIO
) -> None:
    key = customer_key(
        args.settings.secret_key.get_secret_value(), shop=args.shop, customer_id=args.customer_id
    )
    out.write(f'{SHOP_ID.name} = "{args.shop}" AND {CUSTOMER_KEY.name} = "{key}"\n')


def register(topics: Any) -> None:
    command: argparse.ArgumentParser = topics.add_parser(
        "customer-key",
        help="the Temporal UI query that finds a customer's carts (CustomerKey, a keyed digest)",
    )
    command.add_argument("shop")
    command.add_argument("customer_id", help="the shop's id for the customer, as sent in carts")
    command.set_defaults(handler=customer_key_command)
