"""What routes receive: settings, the session factory, Temporal, and the shop of the API key.

Routes hand the session factory and Temporal to a use case (intake/), which opens and
commits its own transaction; no route holds a session. Authentication is also where each
key's rate limit is checked and a request's Idempotency-Key claimed: both need the key's
shop, and every /v1 route authenticates. Each opens a short session of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, cast

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.errors import error_response
from api.idempotency import IDEMPOTENCY_DOCS, claim_key
from api.known_keys import KnownKeys
from api.rate_limit import RateLimiter
from contract.fields import ShopId
from data_at_rest.cipher import DataCipher
from intake.outages import Outage
from intake.temporal import TemporalGateway
from settings import Settings
from storage.shops import ShopProfile, key_digest


@dataclass(frozen=True)
class Resources:
    """What the app's lifespan opens and closes; routes get them through the aliases below."""

    sessions: async_sessionmaker[AsyncSession]
    temporal: TemporalGateway
    database_outage: Outage  # whether the database failed a moment ago (storage/database.py)


# These only read app.state, yet are `async def`: FastAPI runs a plain `def` dependency in
# its thread pool, a hop to another thread and back per dependency and request.
async def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def get_resources(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


async def get_rate_limiter(request: Request) -> RateLimiter:
    return cast(RateLimiter, request.app.state.rate_limiter)


async def get_known_keys(request: Request) -> KnownKeys:
    return cast(KnownKeys, request.app.state.known_keys)


async def get_cipher(request: Request) -> DataCipher:
    return cast(DataCipher, request.app.state.cipher)


ResourcesDep = Annotated[Resources, Depends(get_resources)]
# Decrypts the shops' secrets as storage reads them (data_at_rest/cipher.py).
CipherDep = Annotated[DataCipher, Depends(get_cipher)]


async def get_sessions(resources: ResourcesDep) -> async_sessionmaker[AsyncSession]:
    return resources.sessions


async def get_temporal(resources: ResourcesDep) -> TemporalGateway:
    return resources.temporal


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
# The gateway, not the client: a route first validates its input and writes what it must,
# and only then asks for the client, so bad input gets a 422 even while Temporal is down.
TemporalDep = Annotated[TemporalGateway, Depends(get_temporal)]

_bearer = HTTPBearer(
    auto_error=False, description="The shop's API key: `Authorization: Bearer <key>`"
)


async def authenticated_shop(
    sessions: SessionsDep,
    limiter: Annotated[RateLimiter, Depends(get_rate_limiter)],
    known_keys: Annotated[KnownKeys, Depends(get_known_keys)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> ShopProfile:
    """The shop whose API key the request carries; 401 for a missing, unknown or revoked key,
    then 429 when the key is over its rate limit."""
    shop = None
    if credentials is not None:
        shop = await known_keys.shop_for(sessions, credentials.credentials)
    if credentials is None or shop is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="missing or wrong API key: send `Authorization: Bearer <api key>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    limiter.check(key_digest(credentials.credentials))
    return shop


CurrentShop = Annotated[ShopProfile, Depends(authenticated_shop)]
ApiKey = Depends(authenticated_shop)


async def claim_idempotency_key(
    request: Request,
    shop: CurrentShop,
    sessions: SessionsDep,
    settings: SettingsDep,
) -> None:
    """Claim the request's Idempotency-Key for its shop (api.idempotency): a repeat gets the
    first answer, or 409. After authentication, so a 401 or 429 never claims a key."""
    await claim_key(request, shop=shop.shop, sessions=sessions, settings=settings)


async def queried_shop(
    current: CurrentShop,
    shop: Annotated[
        ShopId | None, Query(description="The shop; the API key's shop when left out")
    ] = None,
) -> str:
    """The `?shop=` of a request: the key's own shop (403 for another), or it when left out."""
    if shop is not None:
        require_own_shop(current, shop)
    return current.shop


QueriedShop = Annotated[str, Depends(queried_shop)]


# For the POST/PUT routes' decorators: the key claimed, the header and its 409 documented.
IDEMPOTENT_ROUTE: dict[str, Any] = {
    **IDEMPOTENCY_DOCS,
    "dependencies": [Depends(claim_idempotency_key)],
}


def require_own_shop(current: ShopProfile, requested: str, *, field: str = "shop") -> None:
    """403 when the request names another shop than the one its API key belongs to."""
    if requested != current.shop:
        raise HTTPException(
            status_code=status.HTTP_403_FORBIDDEN,
            detail=f"{field}: this API key belongs to shop {current.shop!r}"
            f" and can not reach shop {requested!r}",
        )


# The answers authentication adds to every /v1 route, for the routers' `responses=`.
AUTHENTICATED_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: error_response("Missing or wrong API key"),
    403: error_response("The API key belongs to another shop"),
    429: error_response("Too many requests for this API key; wait Retry-After", retry=True),
}
