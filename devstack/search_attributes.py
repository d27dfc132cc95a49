"""Register cartnudge's search attributes on a Temporal server, and check their types.

    python -m devstack.search_attributes    (server from CARTNUDGE_TEMPORAL_ADDRESS)

Idempotent: attributes already registered with the right type are left alone. The dev
stack runs the check after starting the dev server; docker-compose runs this once.
"""

from __future__ import annotations

import asyncio
import logging

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from workflows.search_attributes import ALL

log = logging.getLogger("cartnudge.search_attributes")


class SearchAttributeConflict(Exception):
    """An attribute exists on the server with another type; only a new namespace fixes it."""


async def ensure_search_attributes(client: Client) -> list[str]:
    """Add the missing attributes; return their names. Raise on a type conflict."""
    listed = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    existing = dict(listed.custom_attributes)
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


async def _main() -> None:
    from settings import Settings
    from temporal_connection import connect_temporal

    settings = Settings()
    for attempt in range(60):  # the server may still be starting (docker-compose)
        try:
            client = await connect_temporal(settings)
            break
        except RuntimeError as error:
            if attempt == 59:
                raise
            log.info("waiting for Temporal at %s: %s", settings.temporal_address, error)
            await asyncio.sleep(2)
    added = await ensure_search_attributes(client)
    log.info("search attributes: added %s", ", ".join(added) if added else "none (all present)")


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    asyncio.run(_main())


if __name__ == "__main__":
    main()
