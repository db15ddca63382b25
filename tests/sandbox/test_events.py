"""Event delivery: signed POSTs to the configured URL, retries, never blocking."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections.abc import Awaitable, Callable

import httpx
import msgspec
import pytest
from litestar import Litestar

from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.runtime import Sandbox

HOOKS = {"wms": "http://hub/hooks/wms", "pos": "http://hub/hooks/pos", "erp": "http://hub/hooks/erp"}
STOCK_CHANGE = {"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 3}
Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


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


class SandboxWithHooks:
    """A sandbox app whose events go to ``receiver``; ``async with`` yields a client of it."""

    def __init__(self, receiver: Receiver) -> None:
        config = SandboxConfig(event_urls=HOOKS, seed=1)
        self.app: Litestar = create_sandbox_app(config, transport=httpx.MockTransport(receiver))
        self.sandbox: Sandbox = self.app.state.sandbox

    async def __aenter__(self) -> httpx.AsyncClient:
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(self.app), base_url="http://sandbox")
        return self._client

    async def __aexit__(self, *_: object) -> None:
        await self._client.aclose()
        await self.sandbox.aclose()


def expected_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_stock_event_is_posted_signed(eventually: Eventually) -> None:
    receiver = Receiver()
    async with SandboxWithHooks(receiver) as client:
        await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)
        await eventually(lambda: len(receiver.requests) == 1)
        outbox = (await client.get("/sandbox/wms/events")).json()["items"]

    request = receiver.requests[0]
    assert request.method == "POST"
    assert str(request.url) == HOOKS["wms"]
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Signature"] == expected_signature("sandbox-wms-secret", request.content)
    assert msgspec.json.decode(request.content) == outbox[0]
    assert outbox[0]["payload"]["on_hand"] == 3


async def test_each_backend_signs_with_its_own_secret(eventually: Eventually) -> None:
    receiver = Receiver()
    async with SandboxWithHooks(receiver) as client:
        await client.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 4})
        await client.put("/sandbox/erp/items/SKU-1003/price", json={"list_price": "9.25"})
        await eventually(lambda: len(receiver.requests) == 2)

    by_url = {str(r.url): r for r in receiver.requests}
    pos, erp = by_url[HOOKS["pos"]], by_url[HOOKS["erp"]]
    assert pos.headers["X-Signature"] == expected_signature("sandbox-pos-secret", pos.content)
    assert msgspec.json.decode(pos.content)["quantity"] == 4
    assert erp.headers["X-Signature"] == expected_signature("sandbox-erp-secret", erp.content)
    assert msgspec.json.decode(erp.content)["record"]["basePrice"] == "9.25"


async def test_a_failed_delivery_is_retried_until_it_succeeds(eventually: Eventually) -> None:
    receiver = Receiver(statuses=[500, 503])
    async with SandboxWithHooks(receiver) as client:
        await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)
        await eventually(lambda: len(receiver.requests) == 3)

    assert len({r.content for r in receiver.requests}) == 1
    assert len({r.headers["X-Signature"] for r in receiver.requests}) == 1


async def test_delivery_gives_up_after_three_attempts() -> None:
    receiver = Receiver(statuses=[500, 500, 500, 500])
    hooks = SandboxWithHooks(receiver)
    async with hooks as client:
        await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)
        await asyncio.wait_for(hooks.sandbox.delivery.drain(), timeout=3)

    assert len(receiver.requests) == 3


async def test_delivery_never_blocks_the_control_call(eventually: Eventually) -> None:
    receiver = Receiver()
    receiver.release.clear()
    async with SandboxWithHooks(receiver) as client:
        response = await asyncio.wait_for(client.post("/sandbox/wms/stock", json=STOCK_CHANGE), timeout=1)
        await eventually(lambda: len(receiver.requests) == 1)
        receiver.release.set()

    assert response.status_code == 200


async def test_without_a_url_events_stay_in_the_outbox(client: httpx.AsyncClient, app: Litestar) -> None:
    await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)

    sandbox: Sandbox = app.state.sandbox
    await sandbox.delivery.drain()
    assert len((await client.get("/sandbox/wms/events")).json()["items"]) == 1
    assert not sandbox.delivery.client_open


async def test_shutdown_cancels_pending_deliveries_and_closes_the_client(eventually: Eventually) -> None:
    receiver = Receiver()
    receiver.release.clear()
    hooks = SandboxWithHooks(receiver)
    async with hooks as client:
        await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)
        await eventually(lambda: len(receiver.requests) == 1)
        assert hooks.sandbox.delivery.client_open
        for hook in hooks.app.on_shutdown:
            await asyncio.wait_for(hook(), timeout=1)

        assert not hooks.sandbox.delivery.client_open
        await asyncio.wait_for(hooks.sandbox.delivery.drain(), timeout=1)


def test_an_event_url_without_a_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="webhook secret"):
        create_sandbox_app(SandboxConfig(event_urls={"wms": "http://hub/hooks/wms"}, webhook_secrets={}))
