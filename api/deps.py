"""What routes receive: settings, a database session, Temporal, and the API key check."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.temporal import TemporalGateway
from settings import Settings


@dataclass(frozen=True)
class Resources:
    """What the app's lifespan opens and closes; routes get them through the aliases below."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: TemporalGateway


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_resources(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    async with resources.sessions() as session:
        yield session


def get_temporal(resources: ResourcesDep) -> TemporalGateway:
    return resources.temporal


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
# The gateway, not the client: a route first validates its input and writes what it must,
# and only then asks for the client, so bad input gets a 422 even while Temporal is down.
TemporalDep = Annotated[TemporalGateway, Depends(get_temporal)]

_bearer = HTTPBearer(auto_error=False, description="The API key: `Authorization: Bearer <key>`")


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """401 unless the request carries `Authorization: Bearer <the API key>`."""
    # Comparing fixed-length digests in constant time leaks neither the key nor its length.
    expected = _digest(settings.api_key.get_secret_value())
    if credentials is None or not hmac.compare_digest(_digest(credentials.credentials), expected):
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API key: send `Authorization: Bearer <api key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )


ApiKey = Depends(require_api_key)
