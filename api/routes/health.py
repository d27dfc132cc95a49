"""Liveness for load balancers and the dev stack: is the API up and its database reachable."""

from __future__ import annotations

import asyncio
import logging

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from api.deps import SessionDep
from api.schemas import ErrorBody, Health

log = logging.getLogger("cartnudge.api")
router = APIRouter(tags=["health"])

DATABASE_CHECK_SECONDS = 5


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": ErrorBody, "description": "The database is unreachable"}},
)
async def healthz(session: SessionDep) -> Health | JSONResponse:
    """200 when the API runs and reaches its database, 503 when it does not."""
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS):
            await session.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as err:
        log.warning("health check: database unreachable: %s", err)
        return JSONResponse(
            ErrorBody(detail="database unreachable").model_dump(),
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        )
    return Health(status="ok")
