"""`cartnudge dashboard-users ...`: who may read the dashboard, and which shops.

    cartnudge dashboard-users add ana@shop.example --shop my_shop [--shop other_shop]
    cartnudge dashboard-users add ana@shop.example --shop my_shop --password-stdin < pw.txt
    cartnudge dashboard-users list
    cartnudge dashboard-users shops ana@shop.example --add other_shop --remove my_shop
    cartnudge dashboard-users disable ana@shop.example

`add` asks for the password twice (it is not echoed); scripts pipe it with
`--password-stdin`. Only its argon2 hash is stored.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any, TextIO

from sqlalchemy.ext.asyncio import AsyncSession

from accounts.passwords import MIN_LENGTH, PasswordRefused, Passwords, check_new_password
from cli.errors import CommandError
from storage import dashboard_users
from storage.dashboard_users import DashboardUserError


def _looks_like_email(email: str) -> bool:
    local, at, domain = email.strip().partition("@")
    return bool(local and at and "." in domain and " " not in email.strip())


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        password: str = args.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin: nothing on standard input")
        return password
    try:
        password = getpass.getpass(
            f"Password for {args.email} (at least {MIN_LENGTH} characters): "
        )
        again = getpass.getpass("The same password again: ")
    except (EOFError, KeyboardInterrupt):
        raise CommandError("no password given") from None
    if password != again:
        raise CommandError("the two passwords differ; nothing was changed")
    return password


async def add_user(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    if not _looks_like_email(args.email):
        raise CommandError(f"{args.email!r} is not an email address")
    if not args.shop:
        raise CommandError("give at least one --shop the user may see")
    password = _read_password(args)
    try:
        check_new_password(password)
    except PasswordRefused as err:
        raise CommandError(str(err)) from None
    try:
        account = await dashboard_users.create_user(
            session,
            email=args.email,
            password_hash=await Passwords().hash(password),
            shops=args.shop,
        )
    except DashboardUserError as err:
        raise CommandError(str(err)) from None
    await session.commit()
    out.write(f"added dashboard user {account.email} for {', '.join(account.shops)}\n")


async def list_users(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    for account in await dashboard_users.list_users(session):
        state = "active" if account.active else f"disabled {account.disabled_at:%Y-%m-%d %H:%M}"
        out.write(f"{account.email}\t{', '.join(account.shops) or '-'}\t{state}\n")


async def disable_user(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    try:
        account = await dashboard_users.disable_user(session, email=args.email)
    except DashboardUserError as err:
        raise CommandError(str(err)) from None
    await session.commit()
    out.write(f"disabled dashboard user {account.email}: they can no longer log in\n")


async def change_shops(session: AsyncSession, args: argparse.Namespace, out: TextIO) -> None:
    if not args.add and not args.remove:
        raise CommandError("nothing to change: give --add SHOP or --remove SHOP")
    if both := sorted(set(args.add) & set(args.remove)):
        raise CommandError(f"both added and removed: {', '.join(both)}")
    try:
        account = await dashboard_users.change_shops(
            session, email=args.email, add=args.add, remove=args.remove
        )
    except DashboardUserError as err:
        raise CommandError(str(err)) from None
    await session.commit()
    out.write(f"{account.email} sees {', '.join(account.shops) or 'no shop'}\n")


def register(topics: Any) -> None:
    users: argparse.ArgumentParser = topics.add_parser(
        "dashboard-users", help="who may log in to the dashboard, and which shops they see"
    )
    commands = users.add_subparsers(dest="command", required=True)

    add = commands.add_parser("add", help="a new user who may see these shops")
    add.add_argument("email")
    add.add_argument(
        "--shop", action="append", default=[], help="a shop they see (repeat for more)"
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (for scripts)",
    )
    add.set_defaults(handler=add_user)

    commands.add_parser("list", help="every user, their shops, active or not").set_defaults(
        handler=list_users
    )

    disable = commands.add_parser("disable", help="the user can no longer log in")
    disable.add_argument("email")
    disable.set_defaults(handler=disable_user)

    shops = commands.add_parser("shops", help="add or remove shops a user sees")
    shops.add_argument("email")
    shops.add_argument("--add", action="append", default=[], metavar="SHOP")
    shops.add_argument("--remove", action="append", default=[], metavar="SHOP")
    shops.set_defaults(handler=change_shops)
