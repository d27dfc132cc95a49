"""A workflow history with every payload decoded, for tools that read histories themselves.

A history fetched from the server holds payloads as the codec wrote them (encrypted); the
simulator's readers (journey_tools/send_history.py, experiment_history.py) parse payloads
with the payload converter, so they are handed the history decoded first.
"""

from __future__ import annotations

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter, PayloadCodec

_PAYLOAD = Payload.DESCRIPTOR.full_name


async def decoded_history(history: WorkflowHistory, converter: DataConverter) -> WorkflowHistory:
    """The same history, its payloads decoded by the converter's codec (a copy)."""
    if converter.payload_codec is None:
        return history
    events = []
    for event in history.events:
        copy = type(event)()
        copy.CopyFrom(event)
        await _decode_within(copy, converter.payload_codec)
        events.append(copy)
    return WorkflowHistory(history.workflow_id, events)


async def _decode_within(message: Message, codec: PayloadCodec) -> None:
    # Every field that holds a Payload, however deep: inputs, results, markers, headers,
    # failures' encoded attributes, summaries. Unencrypted ones pass through the codec.
    for field, value in message.ListFields():
        kind = field.message_type
        if kind is None:
            continue
        if kind.GetOptions().map_entry:
            value_kind = kind.fields_by_name["value"].message_type
            if value_kind is None:
                continue
            for entry in value.values():
                if value_kind.full_name == _PAYLOAD:
                    [decoded] = await codec.decode([entry])
                    entry.CopyFrom(decoded)
                else:
                    await _decode_within(entry, codec)
        elif kind.full_name == _PAYLOAD:
            items: list[Payload] = [value] if isinstance(value, Payload) else list(value)
            plain_items = await codec.decode(items)
            for item, plain in zip(items, plain_items, strict=True):
                item.CopyFrom(plain)
        elif isinstance(value, Message):
            await _decode_within(value, codec)
        else:  # a repeated message field
            for item in value:
                await _decode_within(item, codec)
