"""Register cartnudge's search attributes on a Temporal server, and check their types.

    python -m devstack.search_attributes    (server from CARTNUDGE_TEMPORAL_ADDRESS)

Idempotent: attributes already registered with the right type are left alone.
docker-compose runs this once; the dev stack calls the same
`temporal_connection.ensure_search_attributes` after starting the dev server.
"""

from __future__ import annotations

import asyncio
import logging

from settings import Settings
from temporal_connection import connect_temporal, ensure_search_attributes

log = logging.getLogger("cartnudge.search_attributes")


async def _main() -> None:
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
