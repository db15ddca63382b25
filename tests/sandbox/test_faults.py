"""The fault switch: each fault, its order, its scope and its validation."""

from __future__ import annotations

import time

import httpx
import pytest

from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig

VENDOR_CALLS = {
    "erp": "/sandbox/erp/api/v1/items/SKU-1001",
    "wms": "/sandbox/wms/api/v2/inventory?item_code=SKU-1001",
    "pos": "/sandbox/pos/v1/stores/inventory?productSku=SKU-1002",
    "shopify": "/sandbox/shopify/admin/api/2024-10/inventory_levels.json?inventory_item_ids=SKU-1001",
    "payments": "/sandbox/payments/v1/authorizations/pay_auth_123",
}
THROTTLE_BODIES = {
    "erp": {"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED"}},
    "wms": {"errors": [{"code": "rate_limited"}]},
    "pos": {"message": "Too Many Requests"},
    "shopify": {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."},
    "payments": {"error": {"type": "rate_limit_error", "code": "rate_limit", "message": "Too many requests"}},
}
RETRY_AFTER = {"shopify": "1.0"}
BACKENDS = sorted(VENDOR_CALLS)
TOKEN = {"X-Shopify-Access-Token": "shpat_test"}


async def vendor_call(client: httpx.AsyncClient, backend: str) -> httpx.Response:
    """The backend's probe call, with the credentials its vendor wants."""
    return await client.get(VENDOR_CALLS[backend], headers=TOKEN if backend == "shopify" else None)


async def test_faults_start_cleared(client: httpx.AsyncClient) -> None:
    response = await client.get("/sandbox/wms/faults")

    assert response.status_code == 200
    assert response.json() == {"latency_ms": 0, "error_rate": 0.0, "outage": False, "throttle": False}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_outage_answers_503(client: httpx.AsyncClient, backend: str) -> None:
    await client.put(f"/sandbox/{backend}/faults", json={"outage": True})

    response = await vendor_call(client, backend)

    assert response.status_code == 503
    assert response.json() == {"error": "service_unavailable"}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_throttle_answers_429_with_retry_after_and_vendor_body(client: httpx.AsyncClient, backend: str) -> None:
    await client.put(f"/sandbox/{backend}/faults", json={"throttle": True})

    response = await vendor_call(client, backend)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == RETRY_AFTER.get(backend, "1")
    body = response.json()
    if backend == "erp":
        assert body["error"]["code"] == THROTTLE_BODIES["erp"]["error"]["code"]
        assert body["error"]["message"]
    else:
        assert body == THROTTLE_BODIES[backend]


@pytest.mark.parametrize("backend", BACKENDS)
async def test_error_rate_one_always_fails_and_zero_never(client: httpx.AsyncClient, backend: str) -> None:
    await client.put(f"/sandbox/{backend}/faults", json={"error_rate": 1.0})
    failing = [await vendor_call(client, backend) for _ in range(5)]
    await client.put(f"/sandbox/{backend}/faults", json={"error_rate": 0})
    passing = [await vendor_call(client, backend) for _ in range(5)]

    assert {r.status_code for r in failing} == {500}
    assert failing[0].json() == {"error": "internal_error"}
    assert {r.status_code for r in passing} == {200}


async def test_error_rate_is_deterministic_under_a_seed() -> None:
    async def statuses(seed: int) -> list[int]:
        app = create_sandbox_app(SandboxConfig(seed=seed))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as c:
            await c.put("/sandbox/erp/faults", json={"error_rate": 0.5})
            return [(await vendor_call(c, "erp")).status_code for _ in range(30)]

    first, second = await statuses(42), await statuses(42)

    assert first == second
    assert set(first) == {200, 500}


async def test_latency_delays_vendor_calls_only(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/pos/faults", json={"latency_ms": 300})

    started = time.monotonic()
    vendor = await vendor_call(client, "pos")
    vendor_seconds = time.monotonic() - started
    started = time.monotonic()
    control = await client.get("/sandbox/pos/events")
    control_seconds = time.monotonic() - started

    assert vendor.status_code == control.status_code == 200
    assert vendor_seconds >= 0.28
    assert control_seconds < 0.28


async def test_faults_apply_in_order_outage_before_throttle_before_errors(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/erp/faults", json={"outage": True, "throttle": True, "error_rate": 1.0})
    outage = await vendor_call(client, "erp")
    await client.put("/sandbox/erp/faults", json={"outage": False})
    throttled = await vendor_call(client, "erp")
    await client.put("/sandbox/erp/faults", json={"throttle": False})
    failed = await vendor_call(client, "erp")

    assert [outage.status_code, throttled.status_code, failed.status_code] == [503, 429, 500]


async def test_faults_are_per_backend(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/wms/faults", json={"outage": True})

    assert (await vendor_call(client, "wms")).status_code == 503
    assert (await vendor_call(client, "pos")).status_code == 200
    assert (await vendor_call(client, "erp")).status_code == 200


async def test_faults_never_apply_to_controls(client: httpx.AsyncClient) -> None:
    for backend in BACKENDS:
        await client.put(f"/sandbox/{backend}/faults", json={"outage": True, "throttle": True, "error_rate": 1.0})

    controls = [
        await client.get("/sandbox/erp/faults"),
        await client.get("/sandbox/wms/events"),
        await client.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1}),
        await client.post("/sandbox/wms/stock", json={"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 1}),
        await client.put("/sandbox/erp/items/SKU-1001/price", json={"list_price": "135.00"}),
        await client.put("/sandbox/pos/faults", json={"latency_ms": 0}),
        await client.get("/sandbox/erp/sales-orders"),
        await client.get("/sandbox/erp/credit-memos"),
        await client.get("/sandbox/payments/refunds"),
        await client.get("/sandbox/shopify/inventory/SKU-1001"),
        await client.get("/sandbox/shopify/fulfillments"),
    ]
    order = await client.post("/sandbox/shopify/orders", json={"line_items": [{"sku": "SKU-1001", "quantity": 1, "price": "129.00"}]})

    assert [r.status_code for r in controls] == [200] * len(controls)
    assert order.status_code == 201


async def test_put_merges_and_delete_clears(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/erp/faults", json={"latency_ms": 5})
    merged = await client.put("/sandbox/erp/faults", json={"throttle": True})
    cleared = await client.delete("/sandbox/erp/faults")

    assert merged.status_code == 200
    assert merged.json() == {"latency_ms": 5, "error_rate": 0.0, "outage": False, "throttle": True}
    assert cleared.status_code == 200
    assert cleared.json() == {"latency_ms": 0, "error_rate": 0.0, "outage": False, "throttle": False}
    assert (await client.get("/sandbox/erp/faults")).json() == cleared.json()
    assert (await vendor_call(client, "erp")).status_code == 200


async def test_bad_fault_input_is_422_listing_every_error(client: httpx.AsyncClient) -> None:
    response = await client.put(
        "/sandbox/wms/faults",
        json={"latency_ms": -1, "error_rate": 1.5, "outage": "yes", "throttle": 1, "flood": True},
    )

    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert sorted(e["field"] for e in body["errors"]) == ["error_rate", "flood", "latency_ms", "outage", "throttle"]
    assert (await client.get("/sandbox/wms/faults")).json()["outage"] is False


async def test_unknown_backend_has_no_fault_switch(client: httpx.AsyncClient) -> None:
    assert (await client.put("/sandbox/mainframe/faults", json={"outage": True})).status_code == 404
