"""The one data converter every client, worker, replayer and test environment uses.

data_converter(settings)   pydantic on the wire (boundary models round-trip exactly)
"""

from __future__ import annotations

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from settings import Settings


def data_converter(settings: Settings) -> DataConverter:
    """The converter for these settings."""
    del settings  # the payload codec (issue 13) reads its keys from them
    return pydantic_data_converter
