"""The worker's Temporal Runtime: the SDK's metrics, and ours, served to Prometheus, and the
SDK core's own log lines through Python's logging (so they are JSON lines too).

worker_runtime(settings)    the Runtime for connect_temporal(..., runtime=...): metrics at
                            http://<worker_metrics_address>/metrics when it is set
MetricsAddressUnusable      the address can not be served (taken, not this machine's)
"""

from __future__ import annotations

import logging

from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from observability.metrics import PURCHASE_TO_CLOSED, PURCHASE_TO_CLOSED_BUCKETS
from settings import Settings

CORE_LOGGER = "temporalio.core"


class MetricsAddressUnusable(Exception):
    """The worker can not serve its metrics where CARTNUDGE_WORKER_METRICS_ADDRESS says."""


def worker_runtime(settings: Settings) -> Runtime:
    """A Runtime exporting metrics when `worker_metrics_address` is set."""
    metrics = None
    if settings.worker_metrics_address is not None:
        metrics = PrometheusConfig(
            bind_address=settings.worker_metrics_address,
            # Prometheus's conventions: counters end in _total, durations in seconds.
            counters_total_suffix=True,
            durations_as_seconds=True,
            histogram_bucket_overrides={PURCHASE_TO_CLOSED: PURCHASE_TO_CLOSED_BUCKETS},
        )
    telemetry = TelemetryConfig(
        # The SDK's default levels; written by our handler, not straight to stderr.
        logging=LoggingConfig(
            filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
            forwarding=LogForwardingConfig(logger=logging.getLogger(CORE_LOGGER)),
        ),
        metrics=metrics,
        # The job and instance labels of the scrape say which process it is.
        attach_service_name=False,
    )
    try:
        return Runtime(telemetry=telemetry)
    except ValueError as err:  # the SDK's word for a port taken or an address not ours
        raise MetricsAddressUnusable(
            f"CARTNUDGE_WORKER_METRICS_ADDRESS={settings.worker_metrics_address}: {err}"
        ) from None
