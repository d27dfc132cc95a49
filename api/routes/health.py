"""Health for load balancers, the dev stack and on-call: can the API take events right now.

Both dependencies are asked at once: the database (every route stores first) and Temporal
(every intake route signals). The answer names each one's state, so a 503 says which is
down. While one is known down (it failed a call within `fail_fast_seconds`,
intake/outages.py) it is reported unreachable at once, without asking it; otherwise the
check is a call like an intake's, bounded the same way, and its answer ends or starts the
outage for the intake too.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.deps import ResourcesDep, SettingsDep
from api.schemas import DependencyStatus, Health, HealthStatus
from intake.outages import Outage
from intake.temporal import TemporalGateway
from storage.database import CONNECT_TIMEOUT_SECONDS, ping

log = logging.getLogger("cartnudge.api")
router = APIRouter(tags=["health"])

# A database that accepts the connection but does not answer SELECT 1 (overloaded, locked).
DATABASE_CHECK_SECONDS = CONNECT_TIMEOUT_SECONDS + 1


async def _database_status(
    sessions: async_sessionmaker[AsyncSession], outage: Outage
) -> DependencyStatus:
    if outage.failing_fast:
        return DependencyStatus.UNREACHABLE
    try:
        async with asyncio.timeout(DATABASE_CHECK_SECONDS):
            await ping(sessions)
    except (SQLAlchemyError, OSError, TimeoutError) as err:
        log.warning("health check: database unreachable: %s", err)
        return DependencyStatus.UNREACHABLE
    return DependencyStatus.OK


async def _temporal_status(temporal: TemporalGateway, timeout: timedelta) -> DependencyStatus:
    reachable = await temporal.reachable(timeout)
    return DependencyStatus.OK if reachable else DependencyStatus.UNREACHABLE


@router.get(
    "/healthz",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database or Temporal is unreachable"}},
)
async def healthz(resources: ResourcesDep, settings: SettingsDep) -> Health | JSONResponse:
    """200 when the database and Temporal both answer; 503 naming the one that does not."""
    database, workflows = await asyncio.gather(
        _database_status(resources.sessions, resources.database_outage),
        _temporal_status(
            resources.temporal, timedelta(seconds=settings.temporal_call_timeout_seconds)
        ),
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
