"""One shape for every error answer: `{"detail": "...", "errors": [{"field", "problem"}]}`.

RequestValidationError  -> 422, one entry per bad field, as a dotted path
                           (`customer.email`, `items[0].unit_price`)
HTTPException           -> its status, `errors` empty; a body that is not even text
                           (FastAPI's 400) is malformed JSON like any other: 422
TemporalUnavailable     -> 503 with Retry-After: the shop retries, nothing is lost
database unreachable    -> 503 likewise (refused, dropped or pool exhausted); while it is
                           known down (storage.database.FailingFast) without even trying
UnreadableSecret        -> 503 likewise: a shop's stored secret does not decrypt with this
                           process's CARTNUDGE_DATA_AT_REST_KEYS (logged as an error, for the
                           operator); the shop retries until the keys are fixed, nothing lost

Every 503 carries Retry-After. `error_response` documents an answer in the OpenAPI spec,
and `install_error_handlers` documents the 422 for every route it is installed before.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

from api.schemas import ErrorBody, FieldError
from data_at_rest.cipher import UnreadableSecret
from storage.database import FailingFast
from workflows.client import TemporalUnavailable

log = logging.getLogger("cartnudge.api")

_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_PREFIXES = ("Value error, ", "Assertion failed, ")
RETRY_AFTER_SECONDS = "5"
UNREADABLE_BODY = "malformed JSON: the body is not UTF-8 text"


def error_response(description: str, *, retry: bool = False) -> dict[str, Any]:
    """An error answer as a route's `responses=` entry: the ErrorBody, and Retry-After."""
    documented: dict[str, Any] = {"model": ErrorBody, "description": description}
    if retry:
        documented["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying",
                "schema": {"type": "integer"},
            }
        }
    return documented


INVALID_REQUEST = error_response("Bad input; `errors` names each bad field")


def field_path(loc: Sequence[str | int]) -> str:
    """`("body", "items", 0, "unit_price")` -> `items[0].unit_price`."""
    parts = list(loc)
    if parts and parts[0] in _LOCATIONS:
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path or "body"


def _field_error(error: dict[str, Any]) -> FieldError:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "invalid JSON")
        position = error["loc"][-1] if len(error["loc"]) > 1 else None
        where = f" at character {position}" if isinstance(position, int) else ""
        return FieldError(field="body", problem=f"malformed JSON: {reason}{where}")
    if error.get("type") == "missing" and tuple(error["loc"]) == ("body",):
        return FieldError(field="body", problem="a JSON body is required")
    problem = str(error.get("msg", "invalid"))
    for prefix in _PREFIXES:
        problem = problem.removeprefix(prefix)
    return FieldError(field=field_path(error["loc"]), problem=problem)


def _answer(
    status_code: int,
    detail: str,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(detail=detail, errors=errors or [])
    return JSONResponse(jsonable_encoder(body), status_code=status_code, headers=headers)


async def _invalid_request(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only the field and the problem: the rejected input may hold personal data.
    errors = [_field_error(error) for error in exc.errors()]
    fields = ", ".join(dict.fromkeys(error.field for error in errors))
    return _answer(status.HTTP_422_UNPROCESSABLE_CONTENT, f"invalid request: {fields}", errors)


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == status.HTTP_400_BAD_REQUEST and isinstance(
        exc.__cause__, UnicodeDecodeError
    ):  # FastAPI's answer to a JSON body that is not text
        return _answer(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid request: body",
            [FieldError(field="body", problem=UNREADABLE_BODY)],
        )
    headers = dict(exc.headers or {})
    if exc.status_code == status.HTTP_503_SERVICE_UNAVAILABLE:
        headers.setdefault("Retry-After", RETRY_AFTER_SECONDS)
    return _answer(exc.status_code, str(exc.detail), headers=headers)


async def _temporal_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return _answer(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"{exc}: the workflow service is unavailable right now; retry the request,"
        " it is safe to repeat",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def _secret_unreadable(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, UnreadableSecret)
    log.error("%s", exc)  # the operator's to fix; the caller only learns to retry
    return _answer(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"the stored credentials of shop {exc.row!r} can not be read by this server right now"
        " (its operator must fix its keys); retry the request, it is safe to repeat",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


async def _database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, FailingFast):  # the outage is logged once, where it began
        log.warning("database unavailable: %s", exc)
    return _answer(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        "the database is unavailable right now; retry the request, it is safe to repeat",
        headers={"Retry-After": RETRY_AFTER_SECONDS},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error as an ErrorBody; call it before including the routers.

    Routers included afterwards document their 422 as the ErrorBody it is, instead of
    FastAPI's own validation error model.
    """
    app.router.responses.setdefault(status.HTTP_422_UNPROCESSABLE_CONTENT, INVALID_REQUEST)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(TemporalUnavailable, _temporal_unavailable)
    app.add_exception_handler(UnreadableSecret, _secret_unreadable)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(InterfaceError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)
