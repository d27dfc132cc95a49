"""Prometheus's scrape of the API: request counts and latency by route, cart intake outcomes.

Open unless `metrics_token` is set; then `Authorization: Bearer <metrics_token>` (what a
Prometheus scrape config's `authorization.credentials` sends). It names no customer and no
shop, but it is on the public port: set the token, or keep /metrics off at the proxy.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import SettingsDep
from observability.metrics import API_REGISTRY

router = APIRouter(tags=["metrics"])


@router.get("/metrics", include_in_schema=False)
async def metrics(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> Response:
    """The API's metrics in Prometheus's text format."""
    if settings.metrics_token is not None:
        wanted = f"Bearer {settings.metrics_token.get_secret_value()}"
        if authorization is None or not secrets.compare_digest(
            authorization.encode(), wanted.encode()
        ):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "GET /metrics needs Authorization: Bearer <CARTNUDGE_METRICS_TOKEN>",
                headers={"WWW-Authenticate": "Bearer"},
            )
    return Response(generate_latest(API_REGISTRY), media_type=CONTENT_TYPE_LATEST)
