"""Health for load balancers, the dev stack and on-call: can the API take events right now.

Both dependencies are asked at once, each within DEPENDENCY_CHECK_SECONDS: the database
(every route stores first) and Temporal (every intake route signals). The answer names
each one's state, so a 503 says which is down.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import SessionsDep, TemporalDep
from api.schemas import DependencyStatus, Health, HealthStatus
from intake.temporal import TemporalGateway
from storage.database import ping

log = logging.getLogger("cartnudge.api")
router = APIRouter(tags=["health"])

DEPENDENCY_CHECK_SECONDS = 5


async def _database_status(sessions: async_sessionmaker[AsyncSession]) -> DependencyStatus:
    try:
        async with asyncio.timeout(DEPENDENCY_CHECK_SECONDS):
            await ping(sessions)
    except (SQLAlchemyError, OSError, TimeoutError) as err:
        log.warning("health check: database unreachable: %s", err)
        return DependencyStatus.UNREACHABLE
    return DependencyStatus.OK


async def _temporal_status(temporal: TemporalGateway) -> DependencyStatus:
    timeout = timedelta(seconds=DEPENDENCY_CHECK_SECONDS)
    try:
        async with asyncio.timeout(DEPENDENCY_CHECK_SECONDS):  # connecting may hang too
            reachable = await temporal.reachable(timeout)
    except TimeoutError:
        log.warning("health check: Temporal did not answer in %ss", DEPENDENCY_CHECK_SECONDS)
        reachable = False
    return DependencyStatus.OK if reachable else DependencyStatus.UNREACHABLE


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or Temporal is unreachable"}},
)
async def healthz(sessions: SessionsDep, temporal: TemporalDep) -> Health | JSONResponse:
    """200 when the database and Temporal both answer; 503 naming the one that does not."""
    database, workflows = await asyncio.gather(
        _database_status(sessions), _temporal_status(temporal)
    )
    up = database == workflows == DependencyStatus.OK
    health = Health(
        status=HealthStatus.OK if up else HealthStatus.UNAVAILABLE,
        database=database,
        temporal=workflows,
    )
    if up:
        return health
    return JSONResponse(
        health.model_dump(mode="json"), status_code=status.HTTP_503_SERVICE_UNAVAILABLE
    )
