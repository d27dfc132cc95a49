"""cartnudge's own metrics, every name and label in one place.

The worker's go through the Temporal SDK's meter, so one endpoint per worker
(`worker_metrics_address`) serves them beside the SDK's own `temporal_*` ones; inside an
activity the SDK adds `namespace`, `task_queue` and `activity_type`. The
SDK's `metric_prefix` renames only its own metrics, never these, and `counters_total_suffix`
(set in observability/runtime.py) gives every counter its `_total`. Outside an activity
(a unit test, the CLI) there is no meter and nothing is recorded.

The API's go through prometheus_client, in API_REGISTRY, served at `GET /metrics`.

Labels are small closed sets: a channel, a result word, a reason word (`REASONS`), a source
name, a route template. Never an id, an address, a shop or free text.

    cartnudge_messages_total{channel, result, reason}        worker, every send's result
    cartnudge_coupon_issues_total{source, result}            worker, a step's coupon
    cartnudge_catalog_calls_total{source, result}            worker, the shop's catalog
    cartnudge_order_lookups_total{result}                    worker, the order check
    cartnudge_purchase_to_closed_seconds                     worker, order in -> outcome stored
    cartnudge_http_request_duration_seconds{method, route, status}   API
    cartnudge_intake_carts_total{outcome}                    API, cart snapshots taken
"""

from __future__ import annotations

from datetime import timedelta

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from temporalio import activity
from temporalio.common import MetricMeter

from storage.shops import CATALOG_SOURCES, COUPON_SOURCES
from workflows.payloads import Channel, MessageStatus, SendResult

# --- the worker's (Temporal SDK meter) -------------------------------------------------------

MESSAGES = "cartnudge_messages"  # counters: the exporter adds _total (runtime.py)
COUPON_ISSUES = "cartnudge_coupon_issues"
CATALOG_CALLS = "cartnudge_catalog_calls"
ORDER_LOOKUPS = "cartnudge_order_lookups"
PURCHASE_TO_CLOSED = "cartnudge_purchase_to_closed_seconds"
# Seconds; the bench's goal is p99 < 300 ms, so the buckets are fine below a second.
PURCHASE_TO_CLOSED_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0)

# Why a message was deferred, skipped or failed, as a word. The policy's reasons are
# sentences with hours, zones and kinds of address in them (sending/policy.py); the label
# is the word of the phrase the reason's first part starts with (a skip lists each
# channel's refusal, "email: no consent; sms: no phone number": the first is the step's
# preferred channel), else "other" ("provider" for a failure: the provider refused it).
REASONS = (
    ("quiet hours", "quiet_hours"),
    ("frequency cap", "cap"),
    ("no consent", "no_consent"),
    ("no provider", "no_provider"),
    ("no coupon", "no_coupon"),
    ("no ", "no_address"),  # "no email address", "no phone number", "no push token" ...
    ("address ", "suppressed"),  # "address bounced", "address unsubscribed" ...
    ("the consent registry", "registry"),
    ("gave up", "gave_up"),
    ("render failed", "render"),
)
REASON_WORDS = frozenset(
    {word for _, word in REASONS} | {"none", "bought", "interrupted", "provider", "other"}
)


def reason_word(result: SendResult) -> str:
    """The closed-set word for why a send ended as it did ("none" when sent)."""
    if result.status == MessageStatus.SENT:
        return "none"
    if result.status == MessageStatus.BOUGHT:
        return "bought"
    if result.status == MessageStatus.UNCERTAIN:
        return "interrupted"  # an attempt died mid-send (delivery's own words vary)
    first = (result.reason or "").split("; ")[0]
    channel, colon, rest = first.partition(": ")
    if colon and channel in set(Channel):
        first = rest  # "email: no consent" -> "no consent"
    for phrase, word in REASONS:
        if first.startswith(phrase):
            return word
    return "provider" if result.status == MessageStatus.FAILED else "other"


def _meter() -> MetricMeter | None:
    return activity.metric_meter() if activity.in_activity() else None


def _count(name: str, description: str, labels: dict[str, str]) -> None:
    meter = _meter()
    if meter is not None:
        meter.create_counter(name, description).add(1, labels)


def message_result(result: SendResult) -> None:
    """One send activity's result (the step's message sent, deferred, skipped...)."""
    channel = result.channel.value if result.channel is not None else "none"
    _count(
        MESSAGES,
        "Send activity results by channel, result and reason word",
        {"channel": channel, "result": result.status.value, "reason": reason_word(result)},
    )


def coupon_issue(source: str | None, result: str) -> None:
    """A step's coupon: `issued`, `unavailable` (retried), `refused` (for good)."""
    _count(
        COUPON_ISSUES,
        "Coupon issues by the shop's coupon source and result",
        {"source": _known(source, COUPON_SOURCES), "result": result},
    )


def catalog_call(source: str | None, result: str) -> None:
    """A catalog read: `ok`, `cached`, `resting` (failed lately), `unavailable`, `broken`,
    `error` (a bug of ours)."""
    _count(
        CATALOG_CALLS,
        "Catalog reads by the shop's catalog source and result",
        {"source": _known(source, CATALOG_SOURCES), "result": result},
    )


def order_lookup(result: str) -> None:
    """The order check before a send: `bought`, `not_bought`, `unavailable`, `broken`,
    `not_configured`."""
    _count(ORDER_LOOKUPS, "Order checks before a send by result", {"result": result})


def purchase_to_closed(elapsed: timedelta) -> None:
    """From our receiving the cart's order to its journey's outcome stored, the last thing
    the journey does before its workflow completes."""
    meter = _meter()
    if meter is not None:
        meter.create_histogram_float(
            PURCHASE_TO_CLOSED, "Order received to the journey's outcome stored", "s"
        ).record(max(elapsed.total_seconds(), 0.0))


def _known(source: str | None, known: tuple[str, ...]) -> str:
    if source is None:
        return "none"
    return source if source in known else "other"


# --- the API's (prometheus_client) -------------------------------------------------------

# One registry for the process, not prometheus_client's default: only what we define (and
# the process's CPU and memory) is served, and nothing a library registers by import.
API_REGISTRY = CollectorRegistry()
ProcessCollector(registry=API_REGISTRY)

HTTP_REQUESTS = Histogram(
    "cartnudge_http_request_duration_seconds",
    "API requests by method, route template and status: latency (and _count, the count)",
    ["method", "route", "status"],
    registry=API_REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
INTAKE_CARTS = Counter(
    "cartnudge_intake_carts",
    "Cart snapshots by outcome: the answer's status (accepted, stale, purchased, cooldown,"
    " emptied), duplicate (an idempotent replay), refused (4xx), unavailable (503)",
    ["outcome"],
    registry=API_REGISTRY,
)


def cart_taken(outcome: str) -> None:
    """One cart snapshot's answer (or why it got none: duplicate, refused, unavailable)."""
    INTAKE_CARTS.labels(outcome=outcome).inc()
