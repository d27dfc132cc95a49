"""The dashboard's two signed cookies, both HttpOnly and SameSite=Lax.

- The session (`cartnudge_session`): the user id and the session's CSRF token, signed
  with the deployment's secret key; 12 hours, then log in again. Who the id names is read
  from the database on every page, so a disabled user is out at their next click.
- Before login (`cartnudge_login`): a CSRF token the login form must send back, so no
  other site can log a browser in to an account of its choosing.

Every form carries its token in a hidden field; a POST whose field does not match the
cookie's token is refused (403) before anything else is read. A cookie that does not
verify (tampered, expired, another deployment's) is no cookie.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from itsdangerous import BadData, URLSafeTimedSerializer

from settings import Settings

SESSION_COOKIE = "cartnudge_session"
LOGIN_COOKIE = "cartnudge_login"
SESSION_SECONDS = 12 * 60 * 60
LOGIN_SECONDS = 60 * 60  # a login form left open longer is shown again
PATH = "/dashboard"


@dataclass(frozen=True)
class DashboardSession:
    user_id: int
    csrf_token: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(sent: str | None, expected: str) -> bool:
    return sent is not None and hmac.compare_digest(sent.encode(), expected.encode())


class Cookies:
    """Writes and reads the dashboard's cookies for one deployment."""

    def __init__(self, settings: Settings) -> None:
        secret = settings.secret_key.get_secret_value()
        self._session = URLSafeTimedSerializer(secret, salt="cartnudge.dashboard.session")
        self._login = URLSafeTimedSerializer(secret, salt="cartnudge.dashboard.login")
        self._secure = settings.public_url.startswith("https://")

    def _set(self, response: Response, name: str, value: str, max_age: int) -> None:
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=PATH,
            secure=self._secure,
            httponly=True,
            samesite="lax",
        )

    def _clear(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path=PATH, secure=self._secure, httponly=True, samesite="lax")

    def _read(
        self, serializer: URLSafeTimedSerializer, request: Request, name: str, max_age: int
    ) -> Any:
        raw = request.cookies.get(name)
        if not raw:
            return None
        try:
            return serializer.loads(raw, max_age=max_age)
        except BadData:
            return None

    def session(self, request: Request) -> DashboardSession | None:
        data = self._read(self._session, request, SESSION_COOKIE, SESSION_SECONDS)
        if not isinstance(data, dict):
            return None
        user_id, token = data.get("user"), data.get("csrf")
        if not isinstance(user_id, int) or not isinstance(token, str):
            return None
        return DashboardSession(user_id=user_id, csrf_token=token)

    def start_session(self, response: Response, user_id: int) -> None:
        """Log the browser in: a new session with a new CSRF token; the login token ends."""
        value = self._session.dumps({"user": user_id, "csrf": new_token()})
        self._set(response, SESSION_COOKIE, value, SESSION_SECONDS)
        self._clear(response, LOGIN_COOKIE)

    def end_session(self, response: Response) -> None:
        self._clear(response, SESSION_COOKIE)

    def login_token(self, request: Request) -> str | None:
        """The CSRF token of the login form this browser was given, while it is valid."""
        token = self._read(self._login, request, LOGIN_COOKIE, LOGIN_SECONDS)
        return token if isinstance(token, str) else None

    def give_login_token(self, response: Response, token: str) -> None:
        self._set(response, LOGIN_COOKIE, self._login.dumps(token), LOGIN_SECONDS)
