"""The refund saga against real processes (issue 5): its worker SIGKILLed mid-saga, with
the card refund in flight at the payment provider, and a new worker finishes it once.

One split deployment (sandbox, system, process, experience, gateway and worker roles,
each its own `hub serve --role X` process) on PostgreSQL. The sandbox is its own
process, so what the payment provider and the ERP recorded survives the kill; the
checks are on those records.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.commerce_hub.orders_support import until
from tests.e2e.conftest import ORDERS, SHIP_TO, SPLIT_ADMIN, SplitHub, kill_hard, place_order, wait_statuses

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
CARD_ORDER = {"customer_id": "CUST-ACME", "currency": "USD", "ship_to": SHIP_TO,
              "lines": [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"}],
              "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "198.00"}}


@pytest.fixture(scope="module")
def split(pg_url, tmp_path_factory) -> SplitHub:  # noqa: ANN001
    hub = SplitHub(tmp_path_factory.mktemp("return-faults"), pg_url)
    try:
        yield hub.start()
    finally:
        hub.stop()


async def shipped_card_order(api: httpx.AsyncClient, sandbox: httpx.AsyncClient, headers: dict) -> str:
    placed = await place_order(api, ORDERS, CARD_ORDER, headers, uuid.uuid4().hex)
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    await wait_statuses(api, headers, [order_id], "released", 30)
    assert (await sandbox.post("/sandbox/wms/ship", json={"order_id": order_id})).status_code == 200
    await wait_statuses(api, headers, [order_id], "shipped", 30)
    return order_id


async def test_a_worker_killed_mid_saga_finishes_it_exactly_once(split, clients) -> None:
    api, sandbox = clients
    headers = {"X-API-Key": split.new_key("orders:write", "orders:read", "returns:write", "returns:read",
                                          customer="CUST-ACME")}
    order_id = await shipped_card_order(api, sandbox, headers)
    # the provider takes 1.5 s to answer a refund: the kill lands while one is in flight
    assert (await sandbox.put("/sandbox/payments/faults", json={"latency_ms": 1500})).status_code == 200
    asked = await api.post("/v1/storefront/returns", headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
                           json={"order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1,
                                                                   "reason": "not_needed"}]})
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]

    async def at_the_refund() -> bool:
        got = await api.get(f"/admin/v1/returns/{rma_id}", headers={"X-API-Key": SPLIT_ADMIN})
        return got.json()["saga_step"] == "payment_refund"

    await until(at_the_refund, timeout=30)
    kill_hard(split.roles["worker"])
    at_kill = (await api.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
    assert at_kill["refund"]["status"] == "pending", at_kill  # the saga was cut off before its end
    assert (await sandbox.delete("/sandbox/payments/faults")).status_code in (200, 204)
    split.roles["worker"] = replacement = split.spawn("worker")
    replacement.wait_ready(60)

    async def issued() -> dict | None:
        got = (await api.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
        return got if got["refund"]["status"] == "issued" else None

    done = await until(issued, timeout=60)
    assert done["refund"]["amount"] == "99.00"
    refunds = (await sandbox.get("/sandbox/payments/refunds", params={"authorization_id": "pay_auth_123"})).json()
    assert [(r["amount"], r["status"]) for r in refunds["items"]] == [("99.00", "succeeded")]
    memos = (await sandbox.get("/sandbox/erp/credit-memos", params={"external_ref": rma_id})).json()
    assert [(m["amount"], m["status"]) for m in memos["items"]] == [("99.00", "open")]
