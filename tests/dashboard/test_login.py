"""Logging in and out of the dashboard: who gets in, and forms no other site can send."""

from __future__ import annotations

import dataclasses
from http.cookies import SimpleCookie

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from api.dashboard.cookies import LOGIN_COOKIE, SESSION_COOKIE
from api.dashboard.throttle import LoginThrottle
from settings import Settings
from storage import dashboard_users
from tests.support.api import SHOP, app_without_temporal, http_client
from tests.support.dashboard import (
    PASSWORD,
    add_dashboard_user,
    csrf_token_in,
    log_in,
    use_cheap_passwords,
)
from tests.support.temporal import settings_for_tests

EMAIL = "ana@shop.example"


def set_cookies(response: httpx.Response) -> dict[str, SimpleCookie]:
    cookies: dict[str, SimpleCookie] = {}
    for header in response.headers.get_list("set-cookie"):
        cookie = SimpleCookie()
        cookie.load(header)
        for name in cookie:
            cookies[name] = cookie
    return cookies


async def test_the_right_password_opens_the_readers_shops(
    browser_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])

    response = await log_in(browser_client, email="  Ana@Shop.Example ")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/"
    session = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert session["httponly"] and session["samesite"] == "lax" and session["path"] == "/dashboard"
    assert not session["secure"]  # public_url is http here
    assert int(session["max-age"]) == 12 * 3600
    page = await browser_client.get("/dashboard/")
    assert page.status_code == 200
    assert 'data-testid="shop-demo_shop"' in page.text and EMAIL in page.text


@pytest.mark.parametrize(
    ("email", "password"),
    [(EMAIL, "a wrong password!"), ("nobody@shop.example", PASSWORD)],
    ids=["wrong password", "unknown email"],
)
async def test_a_wrong_password_and_an_unknown_email_get_the_same_answer(
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    email: str,
    password: str,
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])

    response = await log_in(browser_client, email=email, password=password)

    assert response.status_code == 401
    assert "That email and password do not match an account that may log in." in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert (await browser_client.get("/dashboard/")).headers["location"] == "/dashboard/login"


async def test_a_disabled_user_can_not_log_in(
    browser_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP], disabled=True)

    response = await log_in(browser_client, email=EMAIL)

    assert response.status_code == 401
    assert "do not match an account that may log in" in response.text
    assert SESSION_COOKIE not in set_cookies(response)


async def test_a_user_disabled_while_logged_in_is_out_at_the_next_page(
    browser_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    await log_in(browser_client, email=EMAIL)
    async with session_factory() as session:
        await dashboard_users.disable_user(session, email=EMAIL)
        await session.commit()

    response = await browser_client.get("/dashboard/")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"


@pytest.mark.parametrize("token", [None, "", "not-the-token"], ids=["missing", "empty", "wrong"])
async def test_a_login_without_the_forms_token_is_refused_and_logs_nobody_in(
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    token: str | None,
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    await browser_client.get("/dashboard/login")  # the browser holds a login cookie
    form = {"email": EMAIL, "password": PASSWORD}
    if token is not None:
        form["csrf_token"] = token

    response = await browser_client.post("/dashboard/login", data=form)

    assert response.status_code == 403
    assert "nothing was changed" in response.text
    assert SESSION_COOKIE not in set_cookies(response)
    assert (await browser_client.get("/dashboard/")).status_code == 303


async def test_a_login_form_posted_from_elsewhere_without_the_login_cookie_is_refused(
    app: FastAPI, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """Another site can copy a token from its own visit, not our cookie into the victim's
    browser: the token alone does not log in."""
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    async with http_client(app) as attacker:
        token = csrf_token_in((await attacker.get("/dashboard/login")).text)
    async with http_client(app) as victim:
        response = await victim.post(
            "/dashboard/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": token}
        )
    assert response.status_code == 403


async def test_logout_ends_the_session(
    browser_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    await log_in(browser_client, email=EMAIL)
    token = csrf_token_in((await browser_client.get("/dashboard/")).text)

    response = await browser_client.post("/dashboard/logout", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"
    cleared = set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]
    assert cleared.value in ("", '""') and int(cleared["max-age"]) == 0
    assert SESSION_COOKIE not in browser_client.cookies
    assert (await browser_client.get("/dashboard/")).headers["location"] == "/dashboard/login"


@pytest.mark.parametrize("token", [None, "not-the-token"], ids=["missing", "wrong"])
async def test_a_logout_without_the_sessions_token_is_refused_and_the_session_stays(
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    token: str | None,
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    await log_in(browser_client, email=EMAIL)

    response = await browser_client.post(
        "/dashboard/logout", data={} if token is None else {"csrf_token": token}
    )

    assert response.status_code == 403
    assert SESSION_COOKIE not in set_cookies(response)
    assert (await browser_client.get("/dashboard/")).status_code == 200


async def test_the_login_forms_token_does_not_log_out(
    browser_client: httpx.AsyncClient, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    login_token = csrf_token_in((await browser_client.get("/dashboard/login")).text)
    await browser_client.post(
        "/dashboard/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": login_token}
    )

    response = await browser_client.post("/dashboard/logout", data={"csrf_token": login_token})

    assert response.status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        lambda value: value[:-2] + ("AA" if value[-2:] != "AA" else "BB"),  # signature
        lambda value: "eyJ1c2VyIjoxLCJjc3JmIjoieCJ9" + value[value.index(".") :],  # payload
        lambda value: "",
    ],
    ids=["signature", "payload", "emptied"],
)
async def test_a_tampered_session_cookie_is_logged_out(
    app: FastAPI,
    session_factory: async_sessionmaker[AsyncSession],
    change: object,
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    async with http_client(app) as client:
        await log_in(client, email=EMAIL)
        value = client.cookies[SESSION_COOKIE]
        assert (await client.get("/dashboard/")).status_code == 200
    tampered = change(value)  # type: ignore[operator]
    async with http_client(app) as client:
        client.cookies.set(SESSION_COOKIE, tampered, domain="cartnudge.test", path="/dashboard")

        response = await client.get("/dashboard/")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/login"


async def test_a_cookie_signed_by_another_deployment_is_logged_out(
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
    db_engine: AsyncEngine,
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    other = settings_for_tests(secret_key="another-deployments-secret-key-0123456789")
    async with app_without_temporal(other, db_engine) as elsewhere:
        use_cheap_passwords(elsewhere)
        async with http_client(elsewhere) as there:
            await log_in(there, email=EMAIL)
            value = there.cookies[SESSION_COOKIE]
    browser_client.cookies.set(SESSION_COOKIE, value, domain="cartnudge.test", path="/dashboard")

    response = await browser_client.get("/dashboard/")

    assert response.status_code == 303


async def test_the_session_cookie_is_secure_when_the_dashboard_is_served_over_https(
    db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    settings: Settings = settings_for_tests(public_url="https://cartnudge.shop.example")
    async with app_without_temporal(settings, db_engine) as app:
        use_cheap_passwords(app)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="https://cartnudge.shop.example"
        ) as client:
            page = await client.get("/dashboard/login")
            assert set_cookies(page)[LOGIN_COOKIE][LOGIN_COOKIE]["secure"]
            response = await log_in(client, email=EMAIL)
    assert response.status_code == 303
    assert set_cookies(response)[SESSION_COOKIE][SESSION_COOKIE]["secure"]


async def test_a_hash_made_with_older_parameters_is_replaced_at_login(
    db_engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession], settings: Settings
) -> None:
    """The product's app hashes with argon2-cffi's current parameters; a user whose hash is
    cheaper (older) gets a new one when they next log in, and still logs in after."""
    account = await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    async with app_without_temporal(settings, db_engine) as app, http_client(app) as client:
        response = await log_in(client, email=EMAIL)
    assert response.status_code == 303
    async with session_factory() as session:
        stored = await dashboard_users.get_user(session, account.id)
    assert stored is not None and stored.password_hash != account.password_hash
    assert not PasswordHasher().check_needs_rehash(stored.password_hash)
    assert PasswordHasher().verify(stored.password_hash, PASSWORD)


async def test_too_many_wrong_passwords_make_that_email_wait_even_with_the_right_one(
    app: FastAPI,
    browser_client: httpx.AsyncClient,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    app.state.dashboard = dataclasses.replace(
        app.state.dashboard, throttle=LoginThrottle(attempts=3, window=600)
    )
    await add_dashboard_user(session_factory, email=EMAIL, shops=[SHOP])
    await add_dashboard_user(session_factory, email="bo@shop.example", shops=[SHOP])
    for _ in range(3):
        wrong = await log_in(browser_client, email=EMAIL, password="guess guess guess")
        assert wrong.status_code == 401

    refused = await log_in(browser_client, email=EMAIL.upper())
    someone_else = await log_in(browser_client, email="bo@shop.example")

    assert refused.status_code == 429
    assert "Too many wrong passwords for this email: try again in 10 minute(s)." in refused.text
    assert SESSION_COOKIE not in set_cookies(refused)
    assert someone_else.status_code == 303


def test_the_throttle_forgets_failures_older_than_its_window_and_the_oldest_emails() -> None:
    now = [0.0]
    throttle = LoginThrottle(attempts=2, window=60, capacity=2, clock=lambda: now[0])
    throttle.failed("a@x.example")
    now[0] = 30
    throttle.failed("A@x.example")
    assert throttle.wait("a@x.example") == 30  # until the first failure is a minute old
    now[0] = 61
    assert throttle.wait("a@x.example") == 0
    throttle.failed("b@x.example")
    throttle.failed("c@x.example")  # over capacity: a@ is forgotten
    throttle.failed("a@x.example")
    assert throttle.wait("a@x.example") == 0


def test_an_attempt_counts_before_its_password_is_checked() -> None:
    # Concurrent guesses each start before any has failed: all must count at once.
    throttle = LoginThrottle(attempts=3, window=60, clock=lambda: 0.0)
    started = [throttle.attempt("a@x.example") for _ in range(5)]

    assert started[:3] == [0.0, 0.0, 0.0]  # three go on to be checked
    assert all(wait > 0 for wait in started[3:])  # the rest are refused unchecked
    throttle.succeeded("a@x.example")
    assert throttle.attempt("a@x.example") == 0.0
