"""Reading a Prometheus scrape in tests: the families by name, a sample's summed value."""

from __future__ import annotations

from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families


def scrape(text: str) -> dict[str, Metric]:
    """Prometheus text format read into its families, by name."""
    return {family.name: family for family in text_string_to_metric_families(text)}


def value(families: dict[str, Metric], sample: str, **labels: str) -> float:
    """The sum of the samples named `sample` whose labels include `labels` (0 if none)."""
    return sum(
        found.value
        for family in families.values()
        for found in family.samples
        if found.name == sample and labels.items() <= found.labels.items()
    )
