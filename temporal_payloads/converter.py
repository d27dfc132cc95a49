"""The one data converter every client, worker, replayer and test environment uses.

data_converter(settings)   pydantic on the wire (boundary models round-trip exactly), then
                           encrypted under CARTNUDGE_PAYLOAD_KEYS (codec.py); failures'
                           messages and stack traces are moved into an encrypted payload
                           too, as they may quote a customer's data. With [] keys: plain.
"""

from __future__ import annotations

import dataclasses

from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter, DefaultFailureConverterWithEncodedAttributes

from settings import Settings
from temporal_payloads.codec import PayloadEncryption


def data_converter(settings: Settings) -> DataConverter:
    """The converter for these settings."""
    if not settings.payload_keys:
        return pydantic_data_converter  # explicitly off: CARTNUDGE_PAYLOAD_KEYS=[]
    return dataclasses.replace(
        pydantic_data_converter,
        payload_codec=PayloadEncryption(settings.payload_keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


# Payloads to values and back without the codec, for tools that read a history already
# decoded (temporal_payloads/history.py) and the one that writes histories for replay.
payload_converter = pydantic_data_converter.payload_converter
