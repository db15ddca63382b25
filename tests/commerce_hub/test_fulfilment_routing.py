"""A WMS (``DC-``) and a 3PL (``3PL-``) as two fulfilment connections of one hub, over their
sandboxes, on SQLite and PostgreSQL: an order with a line at DC-EAST and a line only the 3PL
holds goes to both, each its own lines once; it ships when both have shipped (the WMS's hook,
the 3PL's shipments polled) and a return goes to the connection that shipped the line; with the
3PL down the WMS's part still goes and the 3PL's follows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from system_apis.threepl.client import auth_headers
from tests.commerce_hub.orders_support import key, order_status, until, wait_status
from tests.commerce_hub.test_returns import SCOPES, ask_return, wait_refund
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}
TPL = {"tpl": {"kind": "threepl", "locations": ["3PL-"], "options": {"facilities": {"228": "3PL-MV"}}}}
ORDER = {"lines": [{"sku": "SKU-1001", "quantity": 1, "unit_price": "129.00"},
                   {"sku": "SKU-1003", "quantity": 2, "unit_price": "8.75"}],
         "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "146.50"},
         "ship_to": {"name": "Pat Doe", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                     "postal_code": "62701", "country": "US"}}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture
async def hub(database_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(database_url, connections=TPL, sandbox_autoship_seconds=0,
                                                   fulfilment_poll_seconds=0.2, breaker_open_seconds=0.5))


async def placed(hub: Hub, before_placing: dict | None = None) -> tuple[dict, str]:
    """SKU-1001 gone from DC-EAST and DC-WEST (the 3PL still holds 25 at 3PL-MV), then (after
    ``before_placing``: sandbox faults) a card order of SKU-1001 x1 and SKU-1003 x2 (DC-EAST 500)."""
    for location in ("DC-EAST", "DC-WEST"):
        moved = await hub.http.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": location, "on_hand": 0})
        assert moved.status_code in (200, 201, 202), moved.text
    catalog = {"X-API-Key": await hub.new_key("catalog:read")}  # its GETs are cached: stock only

    async def only_the_3pl_holds_it() -> bool:
        answer = (await hub.http.get("/v1/storefront/products/SKU-1001", headers=catalog)).json()
        return {(l["location"], l["available"]) for l in answer.get("locations", [])} >= {
            ("DC-EAST", 0), ("DC-WEST", 0), ("3PL-MV", 25)}

    await until(only_the_3pl_holds_it, timeout=15)
    for backend, faults in (before_placing or {}).items():
        assert (await hub.http.put(f"/sandbox/{backend}/faults", json=faults)).status_code == 200
    headers = {"X-API-Key": await hub.new_key(*SCOPES)}
    created = await hub.http.post("/v1/storefront/orders", json=ORDER, headers={**headers, **key()})
    assert created.status_code == 201, created.text
    return headers, created.json()["order_id"]


async def threepl_order(http: httpx.AsyncClient, order_id: str) -> list[dict]:
    found = await http.get("/sandbox/threepl/2026-01/order", params={"ReferenceIds": order_id}, headers=auth_headers())
    assert found.status_code == 200, found.text
    return found.json()


async def release_steps(http: httpx.AsyncClient, order_id: str) -> dict[str, dict]:
    [journey] = (await http.get("/admin/v1/journeys", params={"ref": order_id}, headers=ADMIN)).json()["items"]
    return {s["backend"]: s for s in journey["steps"] if s["step"] == "fulfilment.release"}


async def test_each_connection_ships_its_own_lines_and_the_order_ships_when_both_have(hub: Hub) -> None:
    headers, order_id = await placed(hub)
    await wait_status(hub.http, headers, order_id, "released", timeout=30)

    [tpl_order] = await threepl_order(hub.http, order_id)
    assert [(p["reference_id"], p["quantity"]) for p in tpl_order["products"]] == [("SKU-1001", 1)]
    steps = await release_steps(hub.http, order_id)
    assert (steps["wms"]["outcome"], steps["tpl"]["outcome"]) == ("done", "done")
    assert "2 x SKU-1003 from DC-EAST" in steps["wms"]["detail"] and "1 x SKU-1001 from 3PL-MV" in steps["tpl"]["detail"]

    shipped = await hub.http.post("/sandbox/wms/ship", json={"order_id": order_id})
    assert [(l["item_code"], l["quantity"]) for l in shipped.json()["lines"]] == [("SKU-1003", 2)], shipped.text

    async def one_shipment() -> dict | None:
        view = (await hub.http.get(f"/v1/storefront/orders/{order_id}", headers=headers)).json()
        return view if len(view["shipments"]) == 1 else None

    assert (await until(one_shipment, timeout=30))["status"] == "released", "the 3PL's part has not shipped"

    assert (await hub.http.post("/sandbox/threepl/ship", json={"order_id": order_id})).status_code == 200
    done = await wait_status(hub.http, headers, order_id, "shipped", timeout=30)
    by_carrier = {s["carrier"]: s for s in done["shipments"]}
    assert sorted(by_carrier) == ["UPS", "USPS"], done["shipments"]
    assert by_carrier["USPS"]["tracking_number"].startswith("9400")
    assert [(l["sku"], l["quantity"]) for l in by_carrier["USPS"]["lines"]] == [("SKU-1001", 1)]
    assert len(await threepl_order(hub.http, order_id)) == 1

    asked = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))  # the 3PL shipped it
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]
    await wait_refund(hub.http, headers, rma_id, "issued", timeout=30)
    returns = await hub.http.get("/sandbox/threepl/2026-01/return", params={"ReferenceIds": rma_id},
                                 headers=auth_headers())
    [expected] = returns.json()
    assert [(i["sku"], i["quantity"]) for i in expected["inventory"]] == [("SKU-1001", 1)]
    assert (await hub.http.post("/sandbox/wms/receive", json={"rma_id": rma_id})).status_code == 404, \
        "the WMS was never told to expect it"


async def test_with_the_3pl_down_the_wms_part_goes_and_the_3pl_part_follows(hub: Hub) -> None:
    headers, order_id = await placed(hub, {"threepl": {"outage": True}})

    async def wms_done_tpl_waiting() -> dict | None:
        steps = await release_steps(hub.http, order_id)
        ready = steps.get("wms", {}).get("outcome") == "done" and steps.get("tpl", {}).get("attempts", 0) >= 1
        return steps if ready else None

    steps = await until(wms_done_tpl_waiting, timeout=30)
    assert steps["tpl"]["outcome"] == "pending"
    assert await order_status(hub.http, headers, order_id) == "posted"

    assert (await hub.http.delete("/sandbox/threepl/faults")).status_code in (200, 204)
    await wait_status(hub.http, headers, order_id, "released", timeout=90)
    steps = await release_steps(hub.http, order_id)
    assert (steps["wms"]["attempts"], steps["tpl"]["outcome"]) == (1, "done")
    assert len(await threepl_order(hub.http, order_id)) == 1


async def test_a_return_the_3pl_received_is_read_back_once_and_refunded_once(hub: Hub) -> None:
    """The 3PL sends no return events: its completed return is polled and recorded on the RMA
    once, and the refund is issued once (the ledger's exactly-once: test_return_receipts.py)."""
    headers, order_id = await placed(hub)
    await wait_status(hub.http, headers, order_id, "released", timeout=30)
    for backend in ("wms", "threepl"):
        assert (await hub.http.post(f"/sandbox/{backend}/ship", json={"order_id": order_id})).status_code == 200
    await wait_status(hub.http, headers, order_id, "shipped", timeout=30)
    asked = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]
    await wait_refund(hub.http, headers, rma_id, "issued", timeout=30)
    before = (await hub.http.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
    assert [l["received_quantity"] for l in before["lines"]] == [0]

    received = await hub.http.post("/sandbox/threepl/receive", json={"rma_id": rma_id})
    assert received.status_code == 200, received.text
    assert received.json()["status"] == "Completed"

    async def recorded() -> dict | None:
        got = (await hub.http.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
        return got if got["lines"][0]["received_quantity"] == 1 else None

    await until(recorded, timeout=30)

    done = (await hub.http.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
    assert [h["detail"] for h in done["history"]].count("received by the WMS: 1 x SKU-1001 (restock)") == 1, \
        done["history"]
    assert done["refund"]["status"] == "issued"
    refunds = (await hub.http.get("/sandbox/payments/refunds", params={"authorization_id": "pay_auth_123"})).json()
    assert [r["status"] for r in refunds["items"]] == ["succeeded"], refunds

