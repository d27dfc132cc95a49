"""The HTTP API: `uvicorn api.app:create_app --factory` (settings from CARTNUDGE_*)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from fastapi import FastAPI, status
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api import dashboard
from api.body_limit import BodyLimitMiddleware
from api.deps import Resources
from api.errors import error_response, install_error_handlers
from api.idempotency import IdempotencyMiddleware
from api.known_keys import KnownKeys
from api.rate_limit import RateLimiter
from api.routes import (
    carts,
    codec,
    customers,
    health,
    metrics,
    orders,
    postmark,
    reports,
    sendgrid,
    shopify,
    tracking,
    twilio,
    unsubscribe,
    woocommerce,
)
from data_at_rest.cipher import DataCipher
from intake.outages import Outage
from intake.temporal import TemporalGateway
from observability.logs import configure_logging
from observability.requests import RequestMetrics
from observability.tracing import API_SERVICE, instrument_app, start_tracing
from settings import Settings
from storage.database import create_engine, create_session_factory, watch_outages
from workflows.client import TemporalUnavailable

DESCRIPTION = """\
cartnudge turns abandoned carts into durable journeys of reminders.

Send every cart change (`PUT /v1/carts/{cart_id}`) and every completed order
(`POST /v1/orders`); each cart becomes one workflow, `cart-{shop}-{cart_id}`.
Every `/v1` route needs `Authorization: Bearer <api key>`. All intake is idempotent:
on a 503, retry the same request.
"""


def create_app(
    settings: Settings | None = None,
    *,
    temporal_client: Client | None = None,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    """The API; tests pass their own settings, Temporal client and database engine."""
    if settings is None:  # the process's own (uvicorn's factory): it logs as they say
        settings = Settings()
        configure_logging(settings)
    start_tracing(settings, API_SERVICE)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = engine or create_engine(
            settings.database_url, pool_size=settings.database_pool_size
        )
        gateway = TemporalGateway(settings, temporal_client)
        # Connect now when we can; when Temporal is not up yet, routes retry on use (503).
        with contextlib.suppress(TemporalUnavailable):
            await gateway.client()
        database_outage = Outage("database", seconds=settings.fail_fast_seconds)
        stop_watching = watch_outages(database, database_outage)
        app.state.resources = Resources(
            sessions=create_session_factory(database),
            temporal=gateway,
            database_outage=database_outage,
        )
        try:
            yield
        finally:
            stop_watching()
            if engine is None:  # an injected engine belongs to the caller
                await database.dispose()

    app = FastAPI(
        title="cartnudge",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.cipher = cipher = DataCipher.from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(codec.CodecCors, settings=settings)  # the Temporal UI's origin, on /codec
    # Intake limits: the last added runs first, so the body limit sees every request.
    app.state.rate_limiter = RateLimiter.from_settings(settings)
    app.state.known_keys = KnownKeys(ttl=settings.api_key_cache_seconds, cipher=cipher)
    app.add_middleware(IdempotencyMiddleware, retention=timedelta(hours=settings.idempotency_hours))
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetrics)  # outermost of ours: it times and counts every answer
    app.router.responses.setdefault(
        status.HTTP_413_CONTENT_TOO_LARGE,
        error_response(f"The body is larger than {settings.max_body_bytes} bytes"),
    )
    for module in (
        carts,
        orders,
        customers,
        tracking,
        unsubscribe,
        sendgrid,
        postmark,
        twilio,
        shopify,
        woocommerce,
        reports,
        health,
        codec,
        metrics,
    ):
        app.include_router(module.router)
    dashboard.install(app, settings)  # the marketers' pages, under /dashboard
    instrument_app(app, settings)  # request spans, when tracing is on
    return app
