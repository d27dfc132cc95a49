"""OpenTelemetry tracing, off unless an OTLP endpoint is set.

One trace follows a cart event: the API's request span (FastAPI instrumentation), the
client's StartWorkflow/SignalWithStartWorkflow span and, through the trace context the
Temporal interceptor puts in the workflow's headers, the worker's RunWorkflow and each
activity's span.

start_tracing(settings, service)  the process's tracer provider, exporting over OTLP/HTTP
temporal_interceptors(settings)   the client and worker interceptors that carry a trace
instrument_app(app, settings)     the API's request spans
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span
from temporalio.client import Interceptor

from settings import Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

# The exporter, the SDK, the instrumentation and the interceptor are imported where tracing
# is turned on: a process without an endpoint does not pay their import (about 0.3 s).

API_SERVICE = "cartnudge-api"
WORKER_SERVICE = "cartnudge-worker"
# Paths whose spans would only be noise: probes and scrapes, every few seconds.
UNTRACED_PATHS = "/healthz$,/metrics$"  # regular expressions, searched in the URL
# What the instrumentation records of a request that may name a customer: the path and
# query (a customer id may be an email; an unsubscribe token holds the address), the
# shopper's address and browser (pixels and clicks). Each is emptied as the span starts;
# the route's template stays, as the span's name and `http.route`.
PERSONAL_ATTRIBUTES = (
    "http.target",
    "http.url",
    "url.path",
    "url.query",
    "url.full",
    "net.peer.ip",
    "net.peer.port",
    "net.sock.peer.addr",
    "client.address",
    "client.port",
    "http.client_ip",
    "http.user_agent",
    "user_agent.original",
)

log = logging.getLogger("cartnudge.tracing")


def start_tracing(settings: Settings, service: str) -> None:
    """Export this process's spans to `otlp_endpoint` as `service`; nothing when unset.

    A process has one tracer provider: when one is set already (a test's, or a host
    application's), it is kept.
    """
    if settings.otlp_endpoint is None:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service}))
    endpoint = settings.otlp_endpoint.rstrip("/") + "/v1/traces"
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    log.info("traces of %s go to %s", service, endpoint)


def temporal_interceptors(settings: Settings) -> list[Interceptor]:
    """Interceptors for a Temporal client (its workers inherit them)."""
    if settings.otlp_endpoint is None:
        return []
    from temporalio.contrib.opentelemetry import TracingInterceptor

    # Its tracer is the global provider's (a proxy until start_tracing sets it).
    return [TracingInterceptor()]


def instrument_app(app: FastAPI, settings: Settings) -> None:
    """A span per request, continuing the caller's trace (W3C traceparent) if it sent one."""
    if settings.otlp_endpoint is None:
        return
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=UNTRACED_PATHS, server_request_hook=_without_personal_data
    )


def _without_personal_data(span: Span, scope: dict[str, Any]) -> None:
    """Runs as the request's span starts, after the instrumentation set its attributes."""
    del scope
    if span.is_recording():
        for name in PERSONAL_ATTRIBUTES:
            span.set_attribute(name, "")
