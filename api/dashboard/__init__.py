"""The marketers' dashboard: server-rendered pages under /dashboard (routes.py), a login
per person with the shops they may see (accounts/, storage/dashboard_users.py), the
journey report (reports/) drawn with inline SVG (charts.py)."""

from __future__ import annotations

from fastapi import FastAPI, Request, status
from fastapi.responses import RedirectResponse, Response

from accounts.passwords import Passwords
from api.dashboard.auth import CsrfRefused, Dashboard, LoginRequired, PageNotFound
from api.dashboard.cookies import Cookies
from api.dashboard.pages import Pages
from api.dashboard.routes import router
from api.dashboard.throttle import LoginThrottle
from settings import Settings

__all__ = ["install", "router"]


def install(app: FastAPI, settings: Settings) -> None:
    """Add the dashboard's pages to the app, outside the OpenAPI spec."""
    app.state.dashboard = dashboard = Dashboard(
        pages=Pages(), cookies=Cookies(settings), passwords=Passwords(), throttle=LoginThrottle()
    )

    async def login_required(request: Request, exc: Exception) -> Response:
        response = RedirectResponse("/dashboard/login", status_code=status.HTTP_303_SEE_OTHER)
        dashboard.cookies.end_session(response)  # a cookie that no longer works goes
        return response

    async def csrf_refused(request: Request, exc: Exception) -> Response:
        return dashboard.pages.render(
            "problem.html",
            status_code=status.HTTP_403_FORBIDDEN,
            reader=None,
            title="This form can not be accepted",
            message="It was not sent from this dashboard's own page, or the page is too old."
            " Open the page again and retry; nothing was changed.",
        )

    async def page_not_found(request: Request, exc: Exception) -> Response:
        return dashboard.pages.render(
            "problem.html",
            status_code=status.HTTP_404_NOT_FOUND,
            reader=None,
            title="No such page",
            message="There is no such page among your shops' journeys.",
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(CsrfRefused, csrf_refused)
    app.add_exception_handler(PageNotFound, page_not_found)
    app.include_router(router)
