"""OpenTelemetry tracing, off unless an OTLP endpoint is set.

temporal_interceptors(settings)   the client and worker interceptors that carry a trace
"""

from __future__ import annotations

from temporalio.client import Interceptor

from settings import Settings


def temporal_interceptors(settings: Settings) -> list[Interceptor]:
    """Interceptors for a Temporal client (its workers inherit them)."""
    del settings  # tracing (issue 13) reads its endpoint from them
    return []
