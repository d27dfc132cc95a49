"""`cartnudge journeys preview NAME VERSION --out DIR`: see every message before it is live.

    cartnudge journeys preview abandoned_cart 2 --out preview/
    cartnudge journeys preview abandoned_cart v2 --locale tr-TR --cart cart.json --out preview/

Writes every part of every message the version can send, rendered for a sample cart (or
the given cart.json, the body of `PUT /v1/carts/{id}`), and `DIR/index.html` listing them
by step. The rendering is journey_tools/preview.py's; this module is the command line.
"""

from __future__ import annotations

import argparse
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from cli.errors import CommandError
from contract.fields import Locale
from journey_schema.errors import JourneyNotFound
from journey_schema.journey_files import load_draft
from journey_tools.preview import (
    Deployment,
    Preview,
    PreviewError,
    read_cart,
    render_preview,
    sample_cart,
    write_preview,
)
from rendering.locales import normalize_locale
from workflows.payloads import Channel

_VERSION = re.compile(r"^v?([1-9][0-9]*)$")


def register(commands: Any) -> None:
    command: argparse.ArgumentParser = commands.add_parser(
        "preview",
        help="render every message of a journey version into a folder, with an index.html",
    )
    command.add_argument("journey", metavar="NAME", help="the journey's folder name")
    command.add_argument("version", metavar="VERSION", help="the version number: 2 or v2")
    command.add_argument(
        "--cart",
        type=Path,
        help="a cart.json in the format of PUT /v1/carts/{id} (default: a sample cart)",
    )
    command.add_argument(
        "--locale",
        help="render in this locale, e.g. tr-TR (default: the cart's, else the journey's)",
    )
    command.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write")
    command.set_defaults(handler=preview)


async def preview(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    """Render the version's messages into --out; the database is not used."""
    started = time.monotonic()
    try:
        rendered, index = _preview(args)
    except PreviewError as err:
        raise CommandError(str(err)) from None
    cart = rendered.cart
    customer = cart.customer
    out.write(
        f"{rendered.journey} v{rendered.version} (release {rendered.release})"
        f" for {customer.first_name or customer.id}"
        f" ({customer.locale}, {len(cart.items)} item{'' if len(cart.items) == 1 else 's'},"
        f" {cart.total} {cart.currency}):"
        f" {len(rendered.messages)} messages\n"
    )
    if rendered.holdout_note:
        out.write(f"  {rendered.holdout_note}\n")
    width = max((len(message.path) for message in rendered.messages), default=0)
    for message in rendered.messages:
        subject = [f'"{message.parts[0].text}"'] if message.channel == Channel.EMAIL else []
        detail = "; ".join(subject + message.notes)
        out.write(f"  {message.path:<{width}}  {message.channel:<7}  {message.branch}  {detail}\n")
    out.write(f"wrote {index} in {time.monotonic() - started:.1f}s\n")


def _preview(args: argparse.Namespace) -> tuple[Preview, Path]:
    settings = args.settings
    locale = _locale(args.locale) if args.locale is not None else None
    try:
        source = load_draft(settings.journeys_dir, args.journey, _version(args.version))
    except JourneyNotFound as err:
        raise PreviewError(str(err)) from None
    if args.cart is not None:
        cart = read_cart(args.cart)
        if locale is not None:
            customer = cart.customer.model_copy(update={"locale": locale})
            cart = cart.model_copy(update={"customer": customer})
    else:
        cart = sample_cart(locale or source.definition.locale)
    rendered = render_preview(
        source,
        cart,
        Deployment.from_settings(settings),
        now=datetime.now(UTC),
        sample_catalog=args.cart is None,  # a given cart keeps its own prices and stock
    )
    return rendered, write_preview(rendered, args.out)


def _version(text: str) -> int:
    match = _VERSION.match(text.strip())
    if match is None:
        raise PreviewError(f"version {text!r}: write the version number, e.g. 2 or v2")
    return int(match.group(1))


def _locale(text: str) -> str:
    try:
        return normalize_locale(TypeAdapter(Locale).validate_python(text))
    except ValidationError:
        raise PreviewError(
            f"--locale {text!r}: write a locale such as tr-TR, en or en-GB"
        ) from None
