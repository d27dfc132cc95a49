"""A shop's HTTP endpoint (its order lookup, its catalog), faked at the transport only:
every request is kept, so a test can assert what was asked (URL, query, headers, body)
and how often."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx

Answer = Callable[[httpx.Request], Any]  # an httpx.Response, or a coroutine of one


class RecordingEndpoint:
    def __init__(self, answer: Answer) -> None:
        self.requests: list[httpx.Request] = []
        self._answer = answer

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        response = self._answer(request)
        if asyncio.iscoroutine(response):
            response = await response
        assert isinstance(response, httpx.Response)
        return response

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self))
