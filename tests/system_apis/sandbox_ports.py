"""The order and return adapters wired to an in-process sandbox, as the one-process hub wires them.

``LossyTransport`` lets a test lose answers: the sandbox does the work, the
adapter sees a network failure and retries with the same idempotency key.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from litestar import Litestar

from shared.resilience import Guard, RetryPolicy
from system_apis.erp.client import ErpHttpAdapter
from system_apis.erp.client import classify as erp_classify
from system_apis.payments.client import PaymentsHttpAdapter
from system_apis.payments.client import classify as payments_classify
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.shopify.client import ShopifyHttpAdapter
from system_apis.shopify.client import classify as shopify_classify
from system_apis.vendor_http import VendorHttp
from system_apis.wms.client import classify as wms_classify
from system_apis.wms.fulfilment_client import WmsFulfilmentAdapter


class LossyTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; while ``lose`` > 0, drops the answer of a POST after it was handled."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0
        self.posts: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST":
            self.posts.append(request)
            if self.lose > 0:
                self.lose -= 1
                await response.aread()
                raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response


async def no_wait(seconds: float) -> None:
    """Retries happen at once; the waits asked for are recorded by ``SandboxPorts.waits``."""


class SandboxPorts:
    def __init__(self, **config: object) -> None:
        self.app: Litestar = create_sandbox_app(SandboxConfig(**{"autoship_seconds": 0, **config}))
        self.transport = LossyTransport(httpx.ASGITransport(app=self.app))
        self.clients: list[httpx.AsyncClient] = []
        self.waits: list[float] = []
        self.guards: dict[str, Guard] = {}
        self.erp = ErpHttpAdapter(self._http("erp", erp_classify))
        self.fulfilment = WmsFulfilmentAdapter(self._http("wms", wms_classify))
        self.payments = PaymentsHttpAdapter(self._http("payments", payments_classify))
        self.shopify = ShopifyHttpAdapter(
            self._http("shopify", shopify_classify, headers={"X-Shopify-Access-Token": "shpat_test"})
        )
        self.control = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox")

    def _http(self, name: str, classify: Callable[[httpx.Response], None], headers: dict | None = None) -> VendorHttp:
        client = httpx.AsyncClient(transport=self.transport, base_url=f"http://sandbox/sandbox/{name}", headers=headers)
        self.clients.append(client)

        async def wait(seconds: float) -> None:
            self.waits.append(seconds)

        self.guards[name] = Guard(name, policy=RetryPolicy(max_attempts=3), sleep=wait)
        return VendorHttp(name, client, self.guards[name], classify)

    async def view(self, path: str, **params: str) -> list[dict]:
        response = await self.control.get(path, params=params)
        response.raise_for_status()
        return response.json()["items"]

    async def aclose(self) -> None:
        for client in (*self.clients, self.control):
            await client.aclose()
        await self.app.state.sandbox.aclose()
