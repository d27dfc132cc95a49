"""The worker's Temporal Runtime: the SDK's metrics, and ours, served to Prometheus.

worker_runtime(settings)    a Runtime exporting on `worker_metrics_address`, or None (the
                            SDK's default runtime, no metrics) when it is unset
"""

from __future__ import annotations

from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig

from observability.metrics import PURCHASE_TO_CLOSED, PURCHASE_TO_CLOSED_BUCKETS
from settings import Settings


def worker_runtime(settings: Settings) -> Runtime | None:
    """A Runtime whose meter serves http://<worker_metrics_address>/metrics."""
    if settings.worker_metrics_address is None:
        return None
    return Runtime(
        telemetry=TelemetryConfig(
            metrics=PrometheusConfig(
                bind_address=settings.worker_metrics_address,
                # Prometheus's conventions: counters end in _total, durations in seconds.
                counters_total_suffix=True,
                durations_as_seconds=True,
                histogram_bucket_overrides={PURCHASE_TO_CLOSED: PURCHASE_TO_CLOSED_BUCKETS},
            ),
            # The job and instance labels of the scrape say which process it is.
            attach_service_name=False,
        )
    )
