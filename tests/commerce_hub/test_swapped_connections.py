"""A second hub.toml that swaps the connections: the ERP is QuickBooks Online, NetSuite or the
legacy SOAP ERP, the store stock is NCR Counterpoint, and a 3PL holds stock at its own fulfilment
centre. The walkthrough's steps run against each: a price check, a storefront order reaching that
ERP's sales orders exactly once (a duplicate request, the ERP down then up), a return with its
credit memo in that ERP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import httpx
import pytest

from tests.commerce_hub.orders_support import ACME_ORDER, key, wait_status
from tests.commerce_hub.test_returns import SCOPES, ask_return, card_order, shipped_order, view, wait_refund
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}


def swapped(erp_kind: str) -> dict[str, dict]:
    """hub.toml's [connections.*] of the second hub (the WMS, Shopify and payments stay the defaults)."""
    return {"erp": {"kind": erp_kind},
            "pos": {"kind": "counterpoint", "locations": ["STORE-"], "options": {"locations": ["NYC"]}},
            "tpl": {"kind": "threepl", "locations": ["3PL-"], "options": {"facilities": {"228": "3PL-MV"}}}}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Resolved before any event loop runs (the database fixtures migrate with their own)."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "fresh_pg_url")


@pytest.fixture(params=["quickbooks", "netsuite", "legacy_erp"])
async def swapped_hub(request: pytest.FixtureRequest, database_url: str) -> AsyncIterator[tuple[Hub, str]]:
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(database_url, connections=swapped(request.param)))
        yield hub, request.param


async def booked(http: httpx.AsyncClient, kind: str, order_id: str) -> list[dict]:
    return await view(http, f"/sandbox/{kind}/sales-orders", external_ref=order_id)


async def test_the_connections_are_the_swapped_ones(swapped_hub: tuple[Hub, str]) -> None:
    hub, kind = swapped_hub
    listed = {c["backend"]: c for c in (await hub.http.get("/admin/v1/connections", headers=ADMIN)).json()["items"]}

    assert (listed["erp"]["kind"], listed["pos"]["kind"], listed["tpl"]["kind"]) == (kind, "counterpoint", "threepl")
    assert listed["pos"]["options"] == {"locations": ["NYC"]}


async def test_a_price_check_reads_that_erp_and_every_stock_source(swapped_hub: tuple[Hub, str]) -> None:
    hub, _ = swapped_hub
    catalog = {"X-API-Key": await hub.new_key("catalog:read")}

    drill = await hub.http.get("/v1/storefront/products/SKU-1001", headers=catalog)
    bits = await hub.http.get("/v1/storefront/products/SKU-1002", headers=catalog)

    assert drill.status_code == 200, drill.text
    assert drill.json()["name"] == "Cordless Drill 18V" and drill.json()["list_price"] == "129.00"
    assert {(lv["location"], lv["available"]) for lv in drill.json()["locations"]} >= {
        ("DC-EAST", 40), ("DC-WEST", 10), ("3PL-MV", 25)}
    assert ("STORE-NYC", 3) in {(lv["location"], lv["available"]) for lv in bits.json()["locations"]}


async def test_an_order_reaches_that_erp_once_through_a_duplicate_and_an_outage(swapped_hub: tuple[Hub, str]) -> None:
    hub, kind = swapped_hub
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME")}
    same = key()
    first = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **same})
    again = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **same})
    assert first.status_code == 201, first.text
    assert again.json()["order_id"] == first.json()["order_id"]
    await wait_status(hub.http, headers, first.json()["order_id"], "released", timeout=30)

    assert (await hub.http.put(f"/sandbox/{kind}/faults", json={"outage": True})).status_code == 200
    during = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert during.status_code == 201, during.text
    assert (await hub.http.delete(f"/sandbox/{kind}/faults")).status_code in (200, 204)
    await wait_status(hub.http, headers, during.json()["order_id"], "released", timeout=60)

    for order_id in (first.json()["order_id"], during.json()["order_id"]):
        assert len(await booked(hub.http, kind, order_id)) == 1


async def test_a_return_makes_one_credit_memo_in_that_erp(swapped_hub: tuple[Hub, str]) -> None:
    hub, kind = swapped_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers, card_order())

    asked = await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]
    await wait_refund(hub.http, headers, rma_id, "issued", timeout=30)

    (memo,) = await view(hub.http, f"/sandbox/{kind}/credit-memos", external_ref=rma_id)
    assert (memo["status"], memo["amount"]) == ("open", "99.00")


async def test_the_replica_s_full_sync_walked_that_erp_and_answers_while_it_is_down(
        swapped_hub: tuple[Hub, str]) -> None:
    hub, kind = swapped_hub
    headers = {"X-API-Key": await hub.new_key("catalog:read", "orders:write", customer="CUST-ACME")}
    assert (await hub.http.put(f"/sandbox/{kind}/faults", json={"outage": True})).status_code == 200

    product = await hub.http.get("/v1/storefront/products/SKU-1001", params={"customer_id": "CUST-ACME"},
                                 headers=headers)
    light = await hub.http.get("/v1/storefront/products/SKU-1004", headers=headers)  # the last item of the walk

    assert product.status_code == 200, product.text
    assert (product.json()["unit_price"], product.json()["price_source"]) == ("99.00", "contract")
    assert light.status_code == 200 and light.json()["name"] == "Work Light LED", light.text
