"""`cartnudge recommendations`: recompute now, or see what a cart would be shown.

    cartnudge recommendations refresh [--shop S]      through Temporal, as the nightly run
    cartnudge recommendations show SHOP [SKU ...] [--limit 4]

The nightly schedule itself (`cartnudge-recommendations`, 03:00 UTC) is created by the
worker when it starts (worker.py); `refresh` runs the same workflow now and waits for it.
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession
from temporalio.client import WorkflowFailureError
from temporalio.service import RPCError

from cli.errors import CommandError
from recommendations.source import recommendations_for
from settings import Settings
from storage import shops
from temporal_connection import connect_temporal
from workflows.recommendations_schedule import refresh_now


async def refresh_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    settings: Settings = args.settings
    if args.shop and await shops.shop_summary(session, args.shop) is None:
        raise CommandError(f"no shop {args.shop!r} (see `cartnudge shops list`)")
    await session.close()  # no connection held while Temporal works
    try:
        client = await connect_temporal(settings)
        result = await refresh_now(client, task_queue=settings.task_queue, shop=args.shop)
    except RuntimeError as err:  # the SDK's "Failed client connect"
        raise CommandError(f"Temporal at {settings.temporal_address}: {err}") from None
    except (RPCError, WorkflowFailureError) as err:
        raise CommandError(f"the refresh failed: {err} (is a worker running?)") from None
    if not result.shops and not result.failed:
        out.write("no shop has orders to learn from yet\n")
    for shop in result.shops:
        out.write(
            f"{shop.shop}: {shop.orders} orders, {shop.products} products with others bought"
            f" with them ({shop.pairs} pairs), {shop.popular} popular\n"
        )
    if result.failed:
        raise CommandError(
            f"not refreshed: {', '.join(result.failed)} (they keep their lists; the worker's"
            " log says why)"
        )


async def show_command(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    if await shops.shop_summary(session, args.shop) is None:
        raise CommandError(f"no shop {args.shop!r} (see `cartnudge shops list`)")
    found = await recommendations_for(
        session, shop=args.shop, cart_skus=args.skus, limit=args.limit
    )
    if not found:
        out.write(
            "nothing to recommend yet: no orders learned from"
            " (run `cartnudge recommendations refresh`)\n"
        )
    for product in found:
        price = f"{product.price}" if product.price is not None else "-"
        out.write(f"{product.sku}\t{product.name}\t{price}\t{product.url or '-'}\n")


def register(topics: Any) -> None:
    recommendations: argparse.ArgumentParser = topics.add_parser(
        "recommendations", help="products bought together: recompute now, or look"
    )
    commands = recommendations.add_subparsers(dest="command", required=True)
    refresh = commands.add_parser(
        "refresh", help="recompute now through Temporal (a worker must run), not at 03:00 UTC"
    )
    refresh.add_argument("--shop", help="only this shop (default: every shop with orders)")
    refresh.set_defaults(handler=refresh_command)
    show = commands.add_parser("show", help="what a cart holding these products would be shown")
    show.add_argument("shop")
    show.add_argument("skus", nargs="*", metavar="SKU", help="the cart's products (none: popular)")
    show.add_argument("--limit", type=int, default=4)
    show.set_defaults(handler=show_command)
