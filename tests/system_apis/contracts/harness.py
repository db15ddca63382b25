"""One adapter of a registered vendor kind wired to its own sandbox backend, in process.

``UnderTest(kind, role)`` builds the adapter serving ``role`` the way the hub
does (the kind's classifier and its sandbox credential's headers, from
``system_apis.registry``, and any ``options`` of a connection), over a ``ScriptedTransport`` that can lose a POST's
answer after the sandbox handled it, or answer the next requests itself.
Retries are immediate and their waits recorded in ``waits``.
"""

from __future__ import annotations

from typing import Any

import httpx

from shared.resilience import Guard, RetryPolicy
from system_apis.adapter_options import make_adapters
from system_apis.registry import KINDS, VendorKind
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.vendor_http import VendorHttp


class ScriptedTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; ``lose`` drops POST answers after the work was done;
    ``scripted`` answers the next requests without reaching the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0
        self.scripted: list[httpx.Response] = []
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.scripted:
            answer = self.scripted.pop(0)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content, request=request)
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and self.lose > 0:
            self.lose -= 1
            await response.aread()
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response

    def posts(self) -> list[httpx.Request]:
        return [r for r in self.sent if r.method == "POST"]


class UnderTest:
    """The ``role`` adapter of ``kind`` (a registry kind or its name) over its sandbox: ``port``
    (also ``erp``), the sandbox ``control`` client, its fault switch and read-only views."""

    sandboxed = True

    def __init__(self, kind: VendorKind | str, role: str, hooks: Any = None, **options: Any) -> None:
        self.kind = KINDS[kind] if isinstance(kind, str) else kind
        self.hooks = hooks
        self.backend = self.kind.sandbox.name
        self.app = create_sandbox_app(SandboxConfig(autoship_seconds=0, seed=7))
        self.transport = ScriptedTransport(httpx.ASGITransport(app=self.app))
        self.waits: list[float] = []
        self.client = httpx.AsyncClient(transport=self.transport, headers=self.kind.auth(self.kind.sandbox_credential),
                                        base_url=f"http://sandbox/sandbox/{self.backend}")
        self.guard = Guard(self.backend, policy=RetryPolicy(max_attempts=3, budget=600.0), sleep=self._wait)
        http = VendorHttp(self.backend, self.client, self.guard, self.kind.classify)
        self.port = self.erp = make_adapters(self.kind, http, options, self.kind.sandbox_credential)[role]
        self.control = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox")

    async def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def faults(self, **switch: object) -> None:
        (await self.control.put(f"/sandbox/{self.backend}/faults", json=switch)).raise_for_status()

    async def heal(self) -> None:
        """Clear the faults and close the circuit, as the one-process hub does when it hears of it."""
        (await self.control.delete(f"/sandbox/{self.backend}/faults")).raise_for_status()
        self.guard.breaker.reset("the sandbox faults were cleared")

    async def view(self, what: str, **params: str) -> list[dict]:
        """A read-only view of what the backend booked (``sales-orders``, ``credit-memos``, ``refunds``...)."""
        response = await self.control.get(f"/sandbox/{self.backend}/{what}", params=params)
        response.raise_for_status()
        return response.json()["items"]

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.control.aclose()
        await self.app.state.sandbox.aclose()


class FakeUnderTest:
    """A port's fake (tests/fakes/) in the suite's place of an adapter: no sandbox, no wire."""

    sandboxed = False
    backend = "fake"

    def __init__(self, port: Any, hooks: Any = None) -> None:
        self.port = self.erp = port
        self.hooks = hooks

    async def aclose(self) -> None:
        pass
