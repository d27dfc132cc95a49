"""`cartnudge`: shops and their API keys, on the database of CARTNUDGE_DATABASE_URL.

    cartnudge shops create my_shop --name "My Shop" --timezone Europe/Istanbul \\
        --locale tr-TR --currency TRY [--email-from "My Shop <hello@my.shop>"]
    cartnudge shops create --shopify-domain my-shop.myshopify.com ...   (id: my_shop)
    cartnudge shops update my_shop --shopify-secret - < secret.txt
    cartnudge shops update my_shop --coupon-source shopify --shopify-admin-token -
    cartnudge shops update my_shop --catalog-source endpoint --catalog-url https://... \\
        --catalog-token -
    cartnudge shops list                                (which integrations, never a secret)
    cartnudge keys create my_shop [--label backend]     (the key is shown once)
    cartnudge keys list my_shop
    cartnudge keys revoke my_shop cn_AbCdEfG
    cartnudge dashboard-users add ana@my.shop --shop my_shop   (cli/dashboard_users.py)
    cartnudge secrets new-key | rotate                  (cli/data_keys.py)
    cartnudge coupons import my_shop codes.csv                  (cli/coupons.py)
    cartnudge recommendations refresh [--shop my_shop]      (cli/recommendations.py)

A secret given as "-" is read from standard input, so it stays out of the shell history;
several are read a line each, in the order `--help` lists them. Secrets are stored
encrypted with the first key of CARTNUDGE_DATA_AT_REST_KEYS.
Run the migrations first (`python -m storage.migrate`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from cli import (
    coupons,
    customer_key,
    dashboard_users,
    data_keys,
    experiments,
    journeys,
    recommendations,
    report,
)
from cli.errors import CommandError
from contract.fields import ShopId
from data_at_rest.cipher import DataCipher
from journey_schema.suggestions import did_you_mean
from observability.logs import configure_logging
from settings import Settings
from storage import shops
from storage.database import create_engine, create_session_factory, printable_url

SHOPIFY_DOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]*\.myshopify\.com$")
# The Shop columns `create` and `update` take as options (--email-from sets email_from).
PROFILE = (
    "name",
    "timezone",
    "locale",
    "currency",
    "email_from",
    "shopify_domain",
    "shopify_secret",
    "woocommerce_secret",
    "order_lookup_url",
    "order_lookup_token",
    "coupon_source",
    "catalog_source",
    "shopify_admin_token",
    "woocommerce_url",
    "woocommerce_consumer_key",
    "woocommerce_consumer_secret",
    "catalog_url",
    "catalog_token",
)
SECRETS = [name for name in PROFILE if name in shops.SECRET_COLUMNS]  # in option order
URLS = ("order_lookup_url", "woocommerce_url", "catalog_url")
SOURCES = {"coupon_source": shops.COUPON_SOURCES, "catalog_source": shops.CATALOG_SOURCES}

HELP = {
    "coupon_source": f"where coupon codes come from: {', '.join(shops.COUPON_SOURCES)}",
    "catalog_source": "where current prices and stock come from:"
    f" {', '.join(shops.CATALOG_SOURCES)}",
    "woocommerce_url": "the store's base URL, for its REST API (coupons, catalog)",
    "catalog_url": "the shop's own catalog endpoint: GET {catalog_url}?skus=...",
} | dict.fromkeys(SECRETS, "'-' reads it from standard input; stored encrypted")


def option(column: str) -> str:
    return f"--{column.replace('_', '-')}"


def shop_id_for_shopify(domain: str) -> str:
    """`my-shop.myshopify.com` -> `my_shop`: shop ids can not hold "-", hostnames never hold "_"."""
    return domain.removesuffix(".myshopify.com").replace("-", "_")


def _profile(args: argparse.Namespace, stdin: TextIO) -> dict[str, Any]:
    """The profile fields given on the command line, checked, secrets read from stdin for "-"."""
    values = {name: getattr(args, name) for name in PROFILE if getattr(args, name) is not None}
    for name in [secret for secret in SECRETS if secret in values]:
        if values[name] == "-":
            values[name] = stdin.readline().strip()
            if not values[name]:
                raise CommandError(f"--{name.replace('_', '-')}: nothing on standard input")
    for name in ("name", "timezone", "locale", "currency"):
        if values.get(name) == "":
            raise CommandError(f"--{name}: can not be empty")
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandError(
                f"--timezone: unknown timezone {values['timezone']!r}"
                " (use an IANA name such as Europe/Istanbul)"
            ) from None
    if "currency" in values:
        if not re.fullmatch(r"[A-Za-z]{3}", values["currency"]):
            raise CommandError(f"--currency: {values['currency']!r} is not an ISO 4217 code")
        values["currency"] = values["currency"].upper()
    if values.get("shopify_domain"):  # "" clears it
        values["shopify_domain"] = values["shopify_domain"].lower()
        if not SHOPIFY_DOMAIN.fullmatch(values["shopify_domain"]):
            raise CommandError(
                f"--shopify-domain: {values['shopify_domain']!r} is not a *.myshopify.com domain"
            )
    for name in URLS:
        url = values.get(name)
        if url and not re.match(r"^https?://[^\s/]+", url):
            raise CommandError(f"{option(name)}: {url!r} is not an http(s) URL")
    for name, choices in SOURCES.items():
        if values.get(name):  # "" clears it
            values[name] = values[name].lower()
            if values[name] not in choices:
                raise CommandError(
                    f"{option(name)}: unknown source {values[name]!r}"
                    f"{did_you_mean(values[name], choices)} (one of {', '.join(choices)})"
                )
    return values


def _check_integrations(before: shops.ShopSummary | None, values: dict[str, Any]) -> None:
    """A coupon or catalog source needs its platform's credentials, given now or earlier;
    none of them can be cleared while a source needs it."""

    def held(column: str) -> bool:
        if column in values:
            return bool(values[column])
        if before is None:
            return False
        if column in shops.SECRET_COLUMNS:
            return column in before.secrets
        return bool(getattr(before, column))

    for name in SOURCES:
        source = values[name] if name in values else getattr(before, name, None)
        if not source:
            continue
        needs = shops.INTEGRATION_NEEDS[(name, source)]
        missing = [option(column) for column in needs if not held(column)]
        if not missing:
            continue
        cleared = [option(column) for column in needs if values.get(column) == ""]
        if cleared and name not in values:
            raise CommandError(
                f"{' and '.join(cleared)}: can not be cleared while the shop's {option(name)}"
                f" is {source}, which needs it (change {option(name)} first)"
            )
        raise CommandError(
            f"{option(name)} {source} needs {' and '.join(missing)} as well: give"
            f" {'them' if len(missing) > 1 else 'it'} now (the shop has no value yet)"
        )


async def _check_domain_free(session: AsyncSession, values: dict[str, Any], shop: str) -> None:
    """A Shopify domain names one shop: its webhooks must find exactly that shop."""
    domain = values.get("shopify_domain")
    if not domain:
        return
    owner = await shops.shop_id_for_shopify_domain(session, domain)
    if owner is not None and owner != shop:
        raise CommandError(f"--shopify-domain: {domain} already belongs to shop {owner!r}")


async def _existing(session: AsyncSession, shop: str) -> shops.ShopSummary:
    summary = await shops.shop_summary(session, shop)
    if summary is None:
        raise CommandError(f"no shop {shop!r} (see `cartnudge shops list`)")
    return summary


async def create_shop(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    values = _profile(args, args.stdin)
    shop = args.shop
    if shop is None:
        if "shopify_domain" not in values:
            raise CommandError("give the shop id, or --shopify-domain to derive it from")
        shop = shop_id_for_shopify(values["shopify_domain"])
    try:
        TypeAdapter(ShopId).validate_python(shop)
    except ValidationError:
        raise CommandError(
            f"shop id {shop!r}: 1-100 letters, digits, '.' or '_' ('-' separates shop and cart)"
        ) from None
    missing = [f"--{name}" for name in ("timezone", "locale", "currency") if name not in values]
    if missing:
        raise CommandError(f"a new shop needs {', '.join(missing)}")
    if await shops.shop_summary(session, shop) is not None:
        raise CommandError(f"shop {shop!r} exists; change it with `cartnudge shops update`")
    _check_integrations(None, values)
    await _check_domain_free(session, values, shop)
    # "" leaves an optional field empty
    profile = {column: value or None for column, value in values.items()}
    await shops.add_shop(session, shop=shop, profile=profile, cipher=args.cipher)
    await session.commit()
    out.write(f"created shop {shop}\n")


async def update_shop(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    values = _profile(args, args.stdin)
    if not values:
        raise CommandError("nothing to change: give at least one option")
    _check_integrations(await _existing(session, args.shop), values)
    await _check_domain_free(session, values, args.shop)
    # "" clears an optional field
    await shops.update_shop(
        session,
        shop=args.shop,
        changes={column: value or None for column, value in values.items()},
        cipher=args.cipher,
    )
    await session.commit()
    out.write(f"updated shop {args.shop}: {', '.join(sorted(values))}\n")


async def list_shops(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    """One line a shop; its integrations by name (which are configured), never a secret."""
    for shop in await shops.list_shops(session):
        integrations = [
            name
            for name, present in [
                (
                    f"shopify {shop.shopify_domain}",
                    shop.shopify_domain and "shopify_secret" in shop.secrets,
                ),
                ("woocommerce", "woocommerce_secret" in shop.secrets),
                ("order lookup", shop.order_lookup_url),
                (f"coupons from {shop.coupon_source}", shop.coupon_source),
                (f"catalog from {shop.catalog_source}", shop.catalog_source),
            ]
            if present
        ]
        out.write(
            f"{shop.shop}\t{shop.name}\t{shop.timezone}\t{shop.locale}\t{shop.currency}"
            f"\t{', '.join(integrations) or '-'}\n"
        )


async def create_key(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    await _existing(session, args.shop)
    key = await shops.create_api_key(session, shop=args.shop, label=args.label)
    await session.commit()
    out.write(f"{key}\n")
    sys.stderr.write("the key is shown this once; only its hash is stored\n")


async def list_keys(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    await _existing(session, args.shop)
    for key in await shops.list_api_keys(session, shop=args.shop):
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        out.write(f"{key.prefix}…\t{key.label or '-'}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}\n")


async def revoke_key(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    try:
        revoked = await shops.revoke_api_key(session, shop=args.shop, prefix=args.prefix)
    except ValueError as err:
        raise CommandError(str(err)) from None
    if revoked == 0:
        raise CommandError(f"no active key of shop {args.shop!r} starts with {args.prefix!r}")
    await session.commit()
    out.write(f"revoked {revoked} key(s)\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cartnudge", description="Shops and API keys of a cartnudge deployment."
    )
    topics = parser.add_subparsers(dest="topic", required=True)

    shops = topics.add_parser("shops", help="create, change and list shops")
    shop_commands = shops.add_subparsers(dest="command", required=True)
    for name, handler, help_text in [
        ("create", create_shop, "add a shop"),
        ("update", update_shop, "change a shop's profile or integrations"),
    ]:
        command = shop_commands.add_parser(name, help=help_text)
        command.add_argument("shop", nargs="?" if name == "create" else None)
        for column in PROFILE:
            command.add_argument(option(column), dest=column, help=HELP.get(column))
        command.set_defaults(handler=handler)
    shop_commands.add_parser("list", help="every shop").set_defaults(handler=list_shops)

    keys = topics.add_parser("keys", help="create, list and revoke a shop's API keys")
    key_commands = keys.add_subparsers(dest="command", required=True)
    create = key_commands.add_parser("create", help="a new key, shown once")
    create.add_argument("shop")
    create.add_argument("--label", help="what the key is for, e.g. 'shop backend'")
    create.set_defaults(handler=create_key)
    listing = key_commands.add_parser("list", help="the shop's keys (prefixes only)")
    listing.add_argument("shop")
    listing.set_defaults(handler=list_keys)
    revoke = key_commands.add_parser("revoke", help="revoke the key starting with PREFIX")
    revoke.add_argument("shop")
    revoke.add_argument("prefix", help="the key's first characters, as `keys list` shows them")
    revoke.set_defaults(handler=revoke_key)
    journeys.register(topics)
    experiments.register(topics)
    coupons.register(topics)
    report.register(topics)
    dashboard_users.register(topics)
    data_keys.register(topics)
    customer_key.register(topics)
    recommendations.register(topics)
    return parser


async def run(
    argv: Sequence[str], *, settings: Settings, out: TextIO = sys.stdout, stdin: TextIO = sys.stdin
) -> None:
    """Run one command; raises CommandError for a mistake the operator can fix."""
    args = _parser().parse_args(argv)
    args.stdin = stdin
    args.settings = settings
    args.cipher = DataCipher.from_settings(settings)
    engine = create_engine(settings.database_url)
    args.sessions = create_session_factory(engine)
    try:
        async with args.sessions() as session:
            await args.handler(session, args, out)
    except DBAPIError as err:
        raise CommandError(
            f"database {printable_url(settings.database_url)}: {err.orig}"
            " (is it up, and migrated with `python -m storage.migrate`?)"
        ) from None
    finally:
        await engine.dispose()


def main() -> None:
    settings = Settings()
    # Warnings and errors only: what a command prints is its answer, on stdout.
    configure_logging(settings, level=logging.WARNING)
    try:
        asyncio.run(run(sys.argv[1:], settings=settings))
    except CommandError as err:
        sys.exit(f"cartnudge: {err}")
