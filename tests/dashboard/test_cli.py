"""`cartnudge dashboard-users ...`: an operator gives a marketer the dashboard of shops."""

from __future__ import annotations

import io

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cli.errors import CommandError
from cli.main import run
from settings import Settings
from storage.models import DashboardUser, DashboardUserShop
from tests.dashboard.conftest import OTHER_SHOP
from tests.support.api import SHOP
from tests.support.dashboard import PASSWORD, log_in
from tests.support.tables import as_tuples, rows


@pytest.fixture
def cli_settings(settings: Settings, database_url: str) -> Settings:
    return settings.model_copy(update={"database_url": database_url})


async def cartnudge(settings: Settings, *argv: str, stdin: str = "") -> str:
    out = io.StringIO()
    await run(["dashboard-users", *argv], settings=settings, out=out, stdin=io.StringIO(stdin))
    return out.getvalue()


async def test_a_user_added_with_the_cli_logs_in_and_sees_their_shop(
    cli_settings: Settings,
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    said = await cartnudge(
        cli_settings, "add", "Ana@Shop.Example", "--shop", SHOP, "--password-stdin",
        stdin=PASSWORD + "\n",
    )  # fmt: skip

    assert said == f"added dashboard user ana@shop.example for {SHOP}\n"
    [user] = await rows(session_factory, DashboardUser)
    assert user.email == "ana@shop.example" and PASSWORD not in user.password_hash
    assert PasswordHasher().verify(user.password_hash, PASSWORD)
    assert (await log_in(browser_client, email="ana@shop.example")).status_code == 303
    assert 'data-testid="shop-demo_shop"' in (await browser_client.get("/dashboard/")).text


async def test_add_asks_for_the_password_twice_when_not_piped(
    cli_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter([PASSWORD, "something else entirely"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="the two passwords differ; nothing was changed"):
        await cartnudge(cli_settings, "add", "ana@shop.example", "--shop", SHOP)

    assert await rows(session_factory, DashboardUser) == []


@pytest.mark.parametrize(
    ("argv", "stdin", "problem"),
    [
        (["ana@shop.example", "--shop", SHOP], "short pass\n",
         "the password must be at least 12 characters long (this one has 10)"),
        (["ana@shop.example", "--shop", "nope", "--shop", "neither"], PASSWORD,
         "no shops 'neither', 'nope' here (see `cartnudge shops list`)"),
        (["ana@shop.example"], PASSWORD, "give at least one --shop the user may see"),
        (["not-an-email", "--shop", SHOP], PASSWORD, "'not-an-email' is not an email address"),
        (["ana@shop.example", "--shop", SHOP], "", "--password-stdin: nothing on standard input"),
    ],
    ids=["short password", "unknown shops", "no shop", "not an email", "empty stdin"],
)  # fmt: skip
async def test_add_refuses_in_words_and_writes_nothing(
    cli_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    argv: list[str],
    stdin: str,
    problem: str,
) -> None:
    with pytest.raises(CommandError) as raised:
        await cartnudge(cli_settings, "add", *argv, "--password-stdin", stdin=stdin)

    assert str(raised.value) == problem
    assert await rows(session_factory, DashboardUser) == []


async def test_an_email_names_one_user_in_any_case(cli_settings: Settings) -> None:
    await cartnudge(cli_settings, "add", "ana@shop.example", "--shop", SHOP, "--password-stdin",
                    stdin=PASSWORD)  # fmt: skip

    with pytest.raises(CommandError, match="^ana@shop.example already has a dashboard user$"):
        await cartnudge(cli_settings, "add", "ANA@shop.example", "--shop", OTHER_SHOP,
                        "--password-stdin", stdin=PASSWORD)  # fmt: skip


async def test_list_shops_and_disable(
    cli_settings: Settings,
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    for email in ("ana@shop.example", "bo@shop.example"):
        await cartnudge(cli_settings, "add", email, "--shop", SHOP, "--password-stdin",
                        stdin=PASSWORD)  # fmt: skip

    moved = await cartnudge(
        cli_settings, "shops", "bo@shop.example", "--add", OTHER_SHOP, "--remove", SHOP
    )
    disabled = await cartnudge(cli_settings, "disable", "ANA@shop.example")
    listing = (await cartnudge(cli_settings, "list")).splitlines()

    assert moved == f"bo@shop.example sees {OTHER_SHOP}\n"
    assert disabled == "disabled dashboard user ana@shop.example: they can no longer log in\n"
    assert listing[0].startswith(f"ana@shop.example\t{SHOP}\tdisabled 20")
    assert listing[1] == f"bo@shop.example\t{OTHER_SHOP}\tactive"
    assert as_tuples(await rows(session_factory, DashboardUserShop), "shop") == {
        (SHOP,),
        (OTHER_SHOP,),
    }
    assert (await log_in(browser_client, email="ana@shop.example")).status_code == 401


@pytest.mark.parametrize(
    ("argv", "problem"),
    [
        (["shops", "ana@shop.example", "--add", "nope"], "no shop 'nope' here"),
        (["shops", "zed@shop.example", "--add", SHOP], "no dashboard user zed@shop.example"),
        (["shops", "ana@shop.example"], "nothing to change: give --add SHOP or --remove SHOP"),
        (["shops", "ana@shop.example", "--add", SHOP, "--remove", SHOP],
         f"both added and removed: {SHOP}"),
        (["disable", "zed@shop.example"], "no dashboard user zed@shop.example"),
    ],
    ids=["unknown shop", "unknown user", "nothing", "both", "disable unknown"],
)  # fmt: skip
async def test_changes_that_can_not_be_made_are_refused_in_words(
    cli_settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    argv: list[str],
    problem: str,
) -> None:
    await cartnudge(cli_settings, "add", "ana@shop.example", "--shop", SHOP, "--password-stdin",
                    stdin=PASSWORD)  # fmt: skip

    with pytest.raises(CommandError) as raised:
        await cartnudge(cli_settings, *argv)

    assert str(raised.value).startswith(problem)
    assert as_tuples(await rows(session_factory, DashboardUserShop), "shop") == {(SHOP,)}
