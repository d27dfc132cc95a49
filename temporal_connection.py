"""How the API, the worker and the tools connect to Temporal: one place, one data converter."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter

from settings import Settings


async def connect_temporal(settings: Settings) -> Client:
    """A client speaking pydantic on the wire, so boundary models round-trip exactly."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
    )
