"""The intake's way to Temporal: one client per process, connected on first use.

Connecting lazily lets the API (and its health check) come up before Temporal does, and
lets a use case store what it was given before it needs Temporal: the event is kept
even while Temporal is down, and the caller's retry signals it.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client
from temporalio.service import RPCError

from settings import Settings
from temporal_connection import connect_temporal
from workflows.client import TemporalUnavailable

log = logging.getLogger("cartnudge.temporal")


class TemporalGateway:
    """Hands out the Temporal client, connecting on first use if none was injected."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The client; raises TemporalUnavailable when Temporal can not be reached."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await connect_temporal(self._settings)
                    except RuntimeError as err:  # the SDK's "Failed client connect"
                        log.warning(
                            "Temporal at %s unreachable: %s", self._settings.temporal_address, err
                        )
                        raise TemporalUnavailable("can not connect to Temporal") from err
        return self._client

    async def reachable(self, timeout: timedelta) -> bool:
        """Whether Temporal answers a call now (connecting first if need be)."""
        try:
            client = await self.client()
            await client.workflow_service.get_system_info(GetSystemInfoRequest(), timeout=timeout)
        except (TemporalUnavailable, RPCError) as err:
            log.warning("health check: Temporal unreachable: %s", err)
            return False
        return True
