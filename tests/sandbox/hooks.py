"""A sandbox whose events go to a recording receiver (the hub's /hooks), for delivery tests."""

from __future__ import annotations

import asyncio

import httpx
from litestar import Litestar

from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.runtime import Sandbox

HOOKS = {
    "wms": "http://hub/hooks/wms",
    "pos": "http://hub/hooks/pos",
    "erp": "http://hub/hooks/erp",
    "shopify": "http://hub/hooks/shopify",
}


class Receiver:
    """The hub's webhook endpoint as an httpx transport handler; answers ``statuses`` in turn, then 204."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self._statuses = list(statuses or [])
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        await self.release.wait()
        return httpx.Response(self._statuses.pop(0) if self._statuses else 204)

    def to(self, url: str) -> list[httpx.Request]:
        return [r for r in self.requests if str(r.url) == url]


class SandboxWithHooks:
    """A sandbox app whose events go to ``receiver``; ``async with`` yields a client of it."""

    def __init__(self, receiver: Receiver, **config: object) -> None:
        settings = SandboxConfig(**{"event_urls": HOOKS, "seed": 1, **config})
        self.app: Litestar = create_sandbox_app(settings, transport=httpx.MockTransport(receiver))
        self.sandbox: Sandbox = self.app.state.sandbox

    async def __aenter__(self) -> httpx.AsyncClient:
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://sandbox")
        return self._client

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()
        await self.sandbox.aclose()
