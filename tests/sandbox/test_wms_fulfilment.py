"""ShipWorks sandbox fulfilment: release, ship (by control and by itself) and the events it sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import msgspec
import pytest
from litestar import Litestar

from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import sign
from system_apis.sandbox.wms.state import WmsBackend
from tests.sandbox.hooks import HOOKS, Receiver, SandboxWithHooks

API = "/sandbox/wms/api/v2"
RELEASE = {"order_ref": "ord_1", "lines": [{"item_code": "SKU-1001", "quantity": 45}, {"item_code": "SKU-1003", "quantity": 2}],
           "ship_to": {"name": "Acme", "address_line1": "1 Main St", "city": "Springfield", "postal_code": "62701",
                       "country_code": "US"}}
Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


async def stock(client: httpx.AsyncClient, sku: str) -> dict[str, tuple[int, int]]:
    rows = (await client.get(f"{API}/inventory", params={"item_code": sku})).json()["data"]
    return {r["warehouse_id"]: (r["on_hand"], r["sequence"]) for r in rows}


async def events(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/sandbox/wms/events")).json()["items"]


def wms_of(app: Litestar) -> WmsBackend:
    return app.state.sandbox.backends["wms"]


@pytest.fixture
async def autoship() -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    """A sandbox whose releases ship by themselves after 50 ms."""
    app = create_sandbox_app(SandboxConfig(seed=3, autoship_seconds=0.05))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as c:
        yield app, c
    await app.state.sandbox.aclose()


async def test_release_is_idempotent_on_order_ref_and_allocates_nothing(client: httpx.AsyncClient, app: Litestar) -> None:
    before = await stock(client, "SKU-1001")
    first = await client.post(f"{API}/fulfillment_requests", json=RELEASE)
    repeat = await client.post(f"{API}/fulfillment_requests", json={**RELEASE, "lines": [{"item_code": "X", "quantity": 1}]})

    assert first.status_code == 201
    assert {k: first.json()[k] for k in ("request_id", "order_ref", "status")} == {
        "request_id": "FR-100001", "order_ref": "ord_1", "status": "released"}
    assert (repeat.status_code, repeat.json()) == (200, first.json())
    assert await stock(client, "SKU-1001") == before
    assert await events(client) == []
    assert wms_of(app).fulfilments.scheduled == 1


@pytest.mark.parametrize(
    "body",
    [{"order_ref": "ord_1", "lines": []}, {"order_ref": "", "lines": [{"item_code": "A", "quantity": 1}]},
     {"order_ref": "ord_1", "lines": [{"item_code": "A", "quantity": 0}]}, {"lines": [{"item_code": "A", "quantity": 1}]}],
)
async def test_an_invalid_release_is_400(client: httpx.AsyncClient, body: dict) -> None:
    response = await client.post(f"{API}/fulfillment_requests", json=body)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid_request"


async def test_ship_takes_stock_fullest_warehouse_first_and_confirms(client: httpx.AsyncClient, app: Litestar) -> None:
    await client.post(f"{API}/fulfillment_requests", json=RELEASE)

    response = await client.post("/sandbox/wms/ship", json={"order_id": "ord_1", "shipped_at": "2026-11-22T10:00:00Z"})

    assert response.status_code == 200
    shipment = response.json()
    assert shipment["order_ref"] == "ord_1" and shipment["shipment_id"] == "SHP-100001"
    assert shipment["carrier"] == "UPS" and shipment["tracking_number"].startswith("1Z")
    assert shipment["shipped_at"] == "2026-11-22T10:00:00Z"
    assert shipment["lines"] == RELEASE["lines"]
    assert await stock(client, "SKU-1001") == {"DC-EAST": (0, 2), "DC-WEST": (5, 2)}
    assert await stock(client, "SKU-1003") == {"DC-EAST": (498, 2)}
    sent = await events(client)
    assert [(e["event_type"], e["payload"].get("item_code"), e["payload"].get("on_hand")) for e in sent] == [
        ("inventory.adjusted", "SKU-1001", 0), ("inventory.adjusted", "SKU-1001", 5),
        ("inventory.adjusted", "SKU-1003", 498), ("shipment.confirmed", None, None)]
    assert [e["payload"]["sequence"] for e in sent[:3]] == [2, 2, 2]
    confirmed = sent[-1]
    assert confirmed["event_id"].startswith("wms-evt-") and confirmed["occurred_at"].endswith("Z")
    assert confirmed["payload"] == shipment
    assert wms_of(app).fulfilments.scheduled == 0


async def test_shipping_more_than_on_hand_never_goes_below_zero(client: httpx.AsyncClient) -> None:
    body = {"order_ref": "ord_2", "lines": [{"item_code": "SKU-1002", "quantity": 9}]}
    await client.post(f"{API}/fulfillment_requests", json=body)

    shipment = (await client.post("/sandbox/wms/ship", json={"order_id": "ord_2"})).json()

    assert await stock(client, "SKU-1002") == {"DC-WEST": (0, 2)}
    assert shipment["lines"] == [{"item_code": "SKU-1002", "quantity": 9}]


async def test_shipping_again_is_a_no_op_answering_the_first_shipment(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/fulfillment_requests", json=RELEASE)
    first = await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})
    count = len(await events(client))

    again = await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})
    release = await client.post(f"{API}/fulfillment_requests", json=RELEASE)

    assert (again.status_code, again.json()) == (200, first.json())
    assert len(await events(client)) == count
    assert (release.status_code, release.json()["status"], release.json()["shipment_id"]) == (200, "shipped", "SHP-100001")


async def test_shipping_what_was_never_released_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/sandbox/wms/ship", json={"order_id": "ord_nope"})
    bad = await client.post("/sandbox/wms/ship", json={"order": "ord_1"})

    assert (response.status_code, response.json()["error"]) == (404, "not_found")
    assert bad.status_code == 422
    assert await events(client) == []


async def test_the_shipment_is_delivered_signed_to_the_hub(eventually: Eventually) -> None:
    receiver = Receiver()
    async with SandboxWithHooks(receiver, autoship_seconds=0) as client:
        await client.post(f"{API}/fulfillment_requests", json=RELEASE)
        await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})
        await eventually(lambda: len(receiver.requests) == 4)

    bodies = [msgspec.json.decode(r.content) for r in receiver.to(HOOKS["wms"])]
    assert sorted(b["event_type"] for b in bodies) == ["inventory.adjusted"] * 3 + ["shipment.confirmed"]
    assert all(r.headers["X-Signature"] == sign("sandbox-wms-secret", r.content) for r in receiver.requests)


async def test_a_released_order_ships_by_itself(autoship, eventually: Eventually) -> None:
    app, client = autoship
    await client.post(f"{API}/fulfillment_requests", json=RELEASE)
    outbox = wms_of(app).announcer.outbox

    await eventually(lambda: any(e.event_type == "shipment.confirmed" for e in outbox))

    assert (await stock(client, "SKU-1001"))["DC-EAST"] == (0, 2)
    assert wms_of(app).fulfilments.scheduled == 0
    manual = await client.post("/sandbox/wms/ship", json={"order_id": "ord_1"})
    assert manual.status_code == 200 and manual.json()["shipment_id"] == "SHP-100001"


async def test_reset_cancels_autoship_timers(autoship, eventually: Eventually) -> None:
    app, client = autoship
    await client.post(f"{API}/fulfillment_requests", json=RELEASE)

    await client.post("/sandbox/reset")
    assert wms_of(app).fulfilments.scheduled == 0
    await client.post(f"{API}/fulfillment_requests", json={**RELEASE, "order_ref": "ord_2"})
    outbox = wms_of(app).announcer.outbox
    await eventually(lambda: any(e.event_type == "shipment.confirmed" for e in outbox))

    assert [e.payload.order_ref for e in outbox if e.event_type == "shipment.confirmed"] == ["ord_2"]


async def test_closing_the_app_cancels_autoship_timers() -> None:
    app = create_sandbox_app(SandboxConfig(autoship_seconds=60))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as client:
        await client.post(f"{API}/fulfillment_requests", json=RELEASE)
        assert wms_of(app).fulfilments.scheduled == 1
        for hook in app.on_shutdown:
            await hook()

    assert wms_of(app).fulfilments.scheduled == 0


async def test_autoship_zero_never_schedules() -> None:
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as c:
        assert (await c.post(f"{API}/fulfillment_requests", json=RELEASE)).status_code == 201

    assert wms_of(app).fulfilments.scheduled == 0
    await app.state.sandbox.aclose()
