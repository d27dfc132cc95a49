"""The API's way to Temporal: one client per app, and the few calls the routes make.

TemporalUnavailable   Temporal could not be reached or refused a call; the answer is a
                      503 and the shop retries (every intake route is idempotent)
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.service import RPCError, RPCStatusCode

from settings import Settings
from temporal_connection import connect_temporal
from workflows.client import RPC_TIMEOUT

log = logging.getLogger("cartnudge.api")


class TemporalUnavailable(Exception):
    """Temporal could not be reached, or failed the call for a reason other than not-found."""


class TemporalGateway:
    """Hands out the app's Temporal client, connecting on first use if none was injected.

    Connecting lazily lets the API (and its health check) come up before Temporal does.
    """

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self._client = client
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
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


def is_not_found(err: RPCError) -> bool:
    return err.status == RPCStatusCode.NOT_FOUND


def unavailable(err: RPCError, action: str) -> TemporalUnavailable:
    """The typed error a route raises for any Temporal failure it does not handle itself."""
    log.warning("Temporal failed to %s: %s (%s)", action, err.message, err.status.name)
    return TemporalUnavailable(f"Temporal failed to {action}")


async def signal_if_open(handle: WorkflowHandle[Any, Any], signal: str, arg: Any) -> bool:
    """Signal the workflow run; False when it does not exist or has already completed."""
    try:
        await handle.signal(signal, arg, rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if is_not_found(err):
            return False
        raise unavailable(err, f"signal {signal} to {handle.id}") from err
    return True


async def is_running(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow's latest run is still open."""
    try:
        description = await handle.describe(rpc_timeout=RPC_TIMEOUT)
    except RPCError as err:
        if is_not_found(err):
            return False
        raise unavailable(err, f"describe {handle.id}") from err
    return description.status == WorkflowExecutionStatus.RUNNING
