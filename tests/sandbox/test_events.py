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
from system_apis.sandbox.events import DeliveryRetry, EventDelivery
from system_apis.sandbox.runtime import Sandbox
from tests.clocks import FakeClock
from tests.sandbox.hooks import HOOKS, Receiver, SandboxWithHooks

STOCK_CHANGE = {"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 3}
Eventually = Callable[[Callable[[], bool]], Awaitable[None]]
FAST_RETRY = DeliveryRetry(first_delay_seconds=0.001, max_delay_seconds=0.004, budget_seconds=0.05)


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


def test_retries_back_off_exponentially_capped_for_about_two_minutes() -> None:
    delays = list(DeliveryRetry().delays())

    assert delays == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    assert 100 < sum(delays) <= 120


async def test_an_event_outlasts_a_hub_that_is_down_for_a_minute() -> None:
    receiver = Receiver(statuses=[503] * 9)
    clock = FakeClock()
    delivery = EventDelivery(1.0, httpx.MockTransport(receiver), sleep=clock.sleep)

    delivery.send(HOOKS["wms"], b'{"event":1}', {"X-Signature": "sha256=ab"})
    await asyncio.wait_for(delivery.drain(), timeout=2)
    await delivery.aclose()

    assert len(receiver.requests) == 10
    assert clock.sleeps == [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0]
    assert sum(clock.sleeps) > 60
    assert {r.content for r in receiver.requests} == {b'{"event":1}'}
    assert delivery.abandoned == 0


async def test_network_errors_are_retried_like_error_answers() -> None:
    calls: list[httpx.Request] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ConnectError("hub is restarting")
        return httpx.Response(200)

    clock = FakeClock()
    delivery = EventDelivery(1.0, httpx.MockTransport(flaky), sleep=clock.sleep)
    delivery.send(HOOKS["wms"], b"{}", {})
    await asyncio.wait_for(delivery.drain(), timeout=2)
    await delivery.aclose()

    assert len(calls) == 3 and clock.sleeps == [0.2, 0.4]


async def test_delivery_gives_up_when_the_budget_is_spent() -> None:
    receiver = Receiver(statuses=[500] * 20)
    clock = FakeClock()
    delivery = EventDelivery(1.0, httpx.MockTransport(receiver), sleep=clock.sleep)

    delivery.send(HOOKS["wms"], b"{}", {})
    await asyncio.wait_for(delivery.drain(), timeout=2)
    await delivery.aclose()

    assert len(receiver.requests) == 11
    assert sum(clock.sleeps) <= 120
    assert delivery.abandoned == 1 and delivery.pending == 0


async def test_the_sandbox_config_sets_the_backoff() -> None:
    receiver = Receiver(statuses=[500] * 20)
    hooks = SandboxWithHooks(receiver, event_retry=FAST_RETRY)
    async with hooks as client:
        await client.post("/sandbox/wms/stock", json=STOCK_CHANGE)
        await asyncio.wait_for(hooks.sandbox.delivery.drain(), timeout=3)

    assert len(receiver.requests) == 1 + len(list(FAST_RETRY.delays()))
    assert hooks.sandbox.delivery.abandoned == 1
    assert len(hooks.sandbox.backends["wms"].announcer.outbox) == 1  # kept, though never delivered


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
