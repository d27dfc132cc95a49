"""The intake's way to Temporal: one client per process, connected on first use, failing fast.

Connecting lazily lets the API (and its health check) come up before Temporal does, and
lets a use case store what it was given before it needs Temporal: the event is kept
even while Temporal is down, and the caller's retry signals it.

Every call the intake makes goes through `FailFast`, a client interceptor: it is bounded
by `temporal_call_timeout_seconds` (the SDK retries a refused connection for up to 10 s
whatever the call's rpc_timeout, so the bound is ours), and once a call has found Temporal
down the next ones are refused at once for `fail_fast_seconds` (intake/outages.py). Both
raise TemporalUnavailable, the API's 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import (
    Client,
    DescribeWorkflowInput,
    Interceptor,
    OutboundInterceptor,
    QueryWorkflowInput,
    SignalWorkflowInput,
    StartWorkflowInput,
    WorkflowExecutionDescription,
    WorkflowHandle,
)
from temporalio.service import RPCError, RPCStatusCode

from intake.outages import DependencyDown, Outage
from settings import Settings
from temporal_connection import connect_temporal
from workflows.client import TemporalUnavailable

log = logging.getLogger("cartnudge.temporal")

T = TypeVar("T")

# A server that is gone answers no call: the SDK reports UNAVAILABLE (refused, reset) or
# DEADLINE_EXCEEDED (no answer in time). Any other status is an answer: Temporal is up.
DOWN = {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED}


class TemporalGateway:
    """Hands out the Temporal client, connecting on first use if none was injected."""

    def __init__(self, settings: Settings, client: Client | None = None) -> None:
        self._settings = settings
        self.outage = Outage("temporal", seconds=settings.fail_fast_seconds)
        self._timeout = settings.temporal_call_timeout_seconds
        self._client = None if client is None else self._failing_fast(client)
        self._lock = asyncio.Lock()

    def _failing_fast(self, client: Client) -> Client:
        """The same client, its calls passing FailFast first (outermost)."""
        config = client.config()
        config["interceptors"] = [FailFastInterceptor(self.outage, self._timeout)] + list(
            config["interceptors"]
        )
        return Client(**config)

    async def client(self) -> Client:
        """The client; raises TemporalUnavailable when Temporal can not be reached."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    self._client = self._failing_fast(await self._connect())
        return self._client

    async def _connect(self) -> Client:
        try:
            self.outage.admit()
            async with asyncio.timeout(self._timeout):
                client = await connect_temporal(self._settings)
        except DependencyDown as err:
            raise TemporalUnavailable(str(err)) from err
        except (RuntimeError, TimeoutError) as err:  # RuntimeError: "Failed client connect"
            self.outage.failed()
            log.warning("Temporal at %s unreachable: %s", self._settings.temporal_address, err)
            raise TemporalUnavailable("can not connect to Temporal") from err
        self.outage.answered()
        return client

    async def reachable(self, timeout: timedelta) -> bool:
        """Whether Temporal answers a call now (connecting first if need be).

        While failing fast the answer is no, at once; after the window this is a probe
        like any intake call, and its answer ends or renews the outage.
        """
        try:
            client = await self.client()
            self.outage.admit()
            async with asyncio.timeout(timeout.total_seconds()):
                await client.workflow_service.get_system_info(
                    GetSystemInfoRequest(), timeout=timeout
                )
        except DependencyDown:
            return False
        except (RPCError, TimeoutError) as err:
            self.outage.failed()
            log.warning("health check: Temporal unreachable: %s", err)
            return False
        except TemporalUnavailable as err:
            log.warning("health check: Temporal unreachable: %s", err)
            return False
        self.outage.answered()
        return True


class FailFastInterceptor(Interceptor):
    """Puts FailFast in front of a client's calls."""

    def __init__(self, outage: Outage, timeout: float) -> None:
        self._outage = outage
        self._timeout = timeout

    def intercept_client(self, next: OutboundInterceptor) -> OutboundInterceptor:
        return FailFast(next, self._outage, self._timeout)


class FailFast(OutboundInterceptor):
    """The intake's calls: refused at once while Temporal is known down, else bounded."""

    def __init__(self, next: OutboundInterceptor, outage: Outage, timeout: float) -> None:
        super().__init__(next)
        self._outage = outage
        self._timeout = timeout

    async def _call(
        self,
        action: str,
        call: Callable[[], Awaitable[T]],
        *,
        down: set[RPCStatusCode] = DOWN,
        bounded: bool = True,
    ) -> T:
        try:
            self._outage.admit()
        except DependencyDown as err:
            raise TemporalUnavailable(str(err)) from err
        try:
            async with asyncio.timeout(self._timeout if bounded else None):
                result = await call()
        except TimeoutError as err:
            self._outage.failed()
            log.warning("Temporal did not %s within %ss", action, self._timeout)
            raise TemporalUnavailable(f"Temporal did not {action} in time") from err
        except RPCError as err:
            if err.status in down:
                self._outage.failed()
            else:
                self._outage.answered()
            raise  # the caller knows what NOT_FOUND and the others mean
        self._outage.answered()
        return result

    async def start_workflow(self, input: StartWorkflowInput) -> WorkflowHandle[Any, Any]:
        return await self._call("start a workflow", lambda: self.next.start_workflow(input))

    async def signal_workflow(self, input: SignalWorkflowInput) -> None:
        await self._call("take a signal", lambda: self.next.signal_workflow(input))

    async def describe_workflow(self, input: DescribeWorkflowInput) -> WorkflowExecutionDescription:
        return await self._call("describe a workflow", lambda: self.next.describe_workflow(input))

    async def query_workflow(self, input: QueryWorkflowInput) -> Any:
        # A query waits for a worker to answer it: a slow or stopped worker is no outage
        # of Temporal, so only a refused connection counts, and the call keeps its own
        # rpc_timeout (it is no intake: nobody's webhook waits on it).
        return await self._call(
            "answer a query",
            lambda: self.next.query_workflow(input),
            down={RPCStatusCode.UNAVAILABLE},
            bounded=False,
        )
