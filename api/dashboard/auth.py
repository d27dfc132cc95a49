"""Who is reading: the dashboard's dependencies, and the three ways a page is refused.

LoginRequired  no valid session, or its user is gone or disabled -> the login page
CsrfRefused    a form without the token its cookie holds        -> 403, nothing done
PageNotFound   another user's shop, an unknown journey          -> 404 (the same page)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request

from accounts.login import active_account
from accounts.passwords import Passwords
from api.dashboard.cookies import Cookies
from api.dashboard.pages import Pages
from api.dashboard.throttle import LoginThrottle
from api.deps import SessionsDep
from storage.dashboard_users import DashboardAccount


class LoginRequired(Exception):
    pass


class CsrfRefused(Exception):
    pass


class PageNotFound(Exception):
    pass


@dataclass(frozen=True)
class Dashboard:
    """What the app keeps for the dashboard, made once in `api.dashboard.install`."""

    pages: Pages
    cookies: Cookies
    passwords: Passwords
    throttle: LoginThrottle


async def get_dashboard(request: Request) -> Dashboard:
    return cast(Dashboard, request.app.state.dashboard)


DashboardDep = Annotated[Dashboard, Depends(get_dashboard)]


@dataclass(frozen=True)
class Reader:
    """The logged-in user, and the CSRF token their forms carry."""

    account: DashboardAccount
    csrf_token: str

    def may_see(self, shop: str) -> bool:
        return shop in self.account.shops


async def current_reader(
    request: Request, sessions: SessionsDep, dashboard: DashboardDep
) -> Reader:
    """The user of the request's session; LoginRequired when there is none."""
    session = dashboard.cookies.session(request)
    if session is None:
        raise LoginRequired
    account = await active_account(sessions, session.user_id)
    if account is None:
        raise LoginRequired
    return Reader(account=account, csrf_token=session.csrf_token)


ReaderDep = Annotated[Reader, Depends(current_reader)]
