"""The dashboard's pages: log in, the reader's shops and journeys, a journey's report."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from accounts.login import active_account, log_in
from api.dashboard.auth import CsrfRefused, DashboardDep, PageNotFound, ReaderDep
from api.dashboard.cookies import new_token, same_token
from api.dashboard.source import ReportSource, get_report_source
from api.deps import SessionsDep

router = APIRouter(prefix="/dashboard", include_in_schema=False)

ReportsDep = Annotated[ReportSource, Depends(get_report_source)]
FormField = Annotated[str, Form()]
PERIOD_DAYS = (7, 30, 90)
WRONG_LOGIN = "That email and password do not match an account that may log in."


def _see_other(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=status.HTTP_303_SEE_OTHER)


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request, sessions: SessionsDep, dashboard: DashboardDep) -> Response:
    """The login form, with the CSRF token of a pre-session cookie."""
    session = dashboard.cookies.session(request)
    if session is not None and await active_account(sessions, session.user_id) is not None:
        return _see_other("/dashboard/")
    token = dashboard.cookies.login_token(request) or new_token()
    response = dashboard.pages.render(
        "login.html", reader=None, csrf_token=token, email="", error=None
    )
    dashboard.cookies.give_login_token(response, token)
    return response


@router.post("/login", response_class=HTMLResponse)
async def login(
    request: Request,
    sessions: SessionsDep,
    dashboard: DashboardDep,
    email: FormField = "",
    password: FormField = "",
    csrf_token: FormField = "",
) -> Response:
    """Log in: the same answer for a wrong password, an unknown email and a disabled user;
    too many wrong passwords for one email and it waits."""
    expected = dashboard.cookies.login_token(request)
    if expected is None or not same_token(csrf_token, expected):
        raise CsrfRefused
    if (wait := dashboard.throttle.attempt(email)) > 0:
        return dashboard.pages.render(
            "login.html",
            status_code=status.HTTP_429_TOO_MANY_REQUESTS,
            reader=None,
            csrf_token=expected,
            email=email,
            error=f"Too many wrong passwords for this email: try again in"
            f" {math.ceil(wait / 60)} minute(s).",
        )
    account = await log_in(sessions, dashboard.passwords, email=email, password=password)
    if account is None:  # counted by `attempt` already
        return dashboard.pages.render(
            "login.html",
            status_code=status.HTTP_401_UNAUTHORIZED,
            reader=None,
            csrf_token=expected,
            email=email,
            error=WRONG_LOGIN,
        )
    dashboard.throttle.succeeded(email)
    response = _see_other("/dashboard/")
    dashboard.cookies.start_session(response, account.id)
    return response


@router.post("/logout")
async def logout(request: Request, dashboard: DashboardDep, csrf_token: FormField = "") -> Response:
    """End the session; its form carries the session's CSRF token."""
    session = dashboard.cookies.session(request)
    if session is None:
        return _see_other("/dashboard/login")
    if not same_token(csrf_token, session.csrf_token):
        raise CsrfRefused
    response = _see_other("/dashboard/login")
    dashboard.cookies.end_session(response)
    return response


@router.get("/", response_class=HTMLResponse)
async def index(reader: ReaderDep, dashboard: DashboardDep, reports: ReportsDep) -> Response:
    """The reader's shops, each with the journeys that have carts there."""
    shops = [(shop, await reports.journeys([shop])) for shop in reader.account.shops]
    return dashboard.pages.render("index.html", reader=reader, shops=shops)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date: give it as YYYY-MM-DD") from None
    return datetime.combine(day, time(), UTC)


@router.get("/shops/{shop}/journeys/{journey}", response_class=HTMLResponse)
async def journey_page(
    shop: str,
    journey: str,
    reader: ReaderDep,
    dashboard: DashboardDep,
    reports: ReportsDep,
    since: str | None = None,
) -> Response:
    """A journey's report for one of the reader's shops; any other shop is a 404."""
    if not reader.may_see(shop) or journey not in await reports.journeys([shop]):
        raise PageNotFound
    try:
        start = _since(since)
    except ValueError as err:
        return dashboard.pages.render(
            "problem.html",
            status_code=status.HTTP_400_BAD_REQUEST,
            reader=reader,
            title="That date can not be read",
            message=f"since: {err}.",
        )
    report = await reports.report(shop=shop, journey=journey, since=start)
    return dashboard.pages.render(
        "journey.html",
        reader=reader,
        shop=shop,
        report=report,
        periods=_periods(f"/dashboard/shops/{quote(shop)}/journeys/{quote(journey)}", since),
    )


def _periods(path: str, since: str | None) -> list[tuple[str, str, bool]]:
    """The period links: label, address, whether it is the one shown."""
    today = datetime.now(UTC).date()
    periods = []
    for days in PERIOD_DAYS:
        start = (today - timedelta(days=days)).isoformat()
        periods.append((f"last {days} days", f"{path}?since={start}", since == start))
    periods.append(("all time", path, not since))
    return periods
