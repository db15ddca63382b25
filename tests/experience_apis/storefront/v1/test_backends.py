"""The storefront over live sandbox backends: changes show within 2 s, failures degrade cleanly."""

from __future__ import annotations

from typing import Any, Callable

import pytest

from tests.conftest import Hub
from tests.experience_apis.storefront.v1.conftest import basket, ok, product
from tests.gateway.support import assert_problem, eventually

CHANGE_SHOWS_WITHIN = 2.0  # CONTRACT section 3, whatever the cache TTL


async def sandbox(hub: Hub, method: str, path: str, body: dict | None = None) -> None:
    response = await hub.http.request(method, f"/sandbox/{path}", json=body)
    assert response.status_code == 200, response.text


async def shows(hub: Hub, key: str, sku: str, condition: Callable[[dict[str, Any]], bool]) -> None:
    """The product answer meets `condition` within the contract's 2 seconds."""

    async def met() -> bool:
        return condition(ok(await product(hub, key, sku)))

    await eventually(met, timeout=CHANGE_SHOWS_WITHIN)


async def test_a_stock_change_in_the_wms_shows_within_two_seconds(hub: Hub, guest: str) -> None:
    assert ok(await product(hub, guest))["available_quantity"] == 50  # seen (and maybe cached) before
    await sandbox(hub, "POST", "wms/stock", {"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 7})
    await shows(hub, guest, "SKU-1001", lambda body: body["available_quantity"] == 17
                and {"location": "DC-EAST", "available": 7} in body["locations"])


async def test_a_store_stock_change_in_the_pos_shows_within_two_seconds(hub: Hub, guest: str) -> None:
    assert ok(await product(hub, guest, "SKU-1002"))["available_quantity"] == 8
    await sandbox(hub, "POST", "wms/stock", {"sku": "SKU-1002", "location": "STORE-NYC", "on_hand": 0})
    await shows(hub, guest, "SKU-1002", lambda body: body["available_quantity"] == 5)


async def test_stock_gone_everywhere_is_out_of_stock_and_short_in_a_basket(hub: Hub, guest: str) -> None:
    for location in ("DC-EAST", "DC-WEST"):
        await sandbox(hub, "POST", "wms/stock", {"sku": "SKU-1001", "location": location, "on_hand": 0})
    assert ok(await product(hub, guest))["in_stock"] is False
    assert ok(await basket(hub, guest, ("SKU-1001", 1)))["lines"][0]["status"] == "insufficient_stock"


async def test_a_list_price_change_in_the_erp_shows_within_two_seconds(hub: Hub, guest: str) -> None:
    assert ok(await product(hub, guest, "SKU-1002"))["unit_price"] == "24.50"
    await sandbox(hub, "PUT", "erp/items/SKU-1002/price", {"list_price": "26.00"})
    await shows(hub, guest, "SKU-1002", lambda body: (body["unit_price"], body["list_price"]) == ("26.00", "26.00"))


async def test_an_erp_outage_is_a_503_problem_without_the_vendor_body(hub: Hub, guest: str) -> None:
    """For a SKU the ERP replica has never held (it must be read live); the seed's are answered."""
    await sandbox(hub, "PUT", "erp/faults", {"outage": True})
    body = assert_problem(await product(hub, guest, "SKU-9999"), 503, "backend_unavailable")
    assert "service_unavailable" not in body["detail"]
    assert ok(await product(hub, guest, "SKU-1002"))["unit_price"] == "24.50"  # from the replica


async def test_an_erp_outage_leaves_only_lines_the_replica_lacks_unavailable(hub: Hub, guest: str) -> None:
    await sandbox(hub, "PUT", "erp/faults", {"outage": True})
    body = ok(await basket(hub, guest, ("SKU-1001", 1), ("SKU-9999", 1)))
    assert [line["status"] for line in body["lines"]] == ["ok", "unavailable"]
    assert body["total"] == "129.00"


@pytest.mark.parametrize("backend, status, available", [("wms", "insufficient_stock", 0), ("pos", "ok", 50)])
async def test_a_stock_system_outage_makes_basket_lines_partial(
        hub: Hub, guest: str, backend: str, status: str, available: int) -> None:
    """Issue 11: SKU-1001 lies only in the WMS's warehouses; the other source's outage leaves it whole."""
    await sandbox(hub, "PUT", f"{backend}/faults", {"outage": True})
    body = ok(await basket(hub, guest, ("SKU-1001", 1), ("SKU-9999", 1)))
    assert [line["status"] for line in body["lines"]] == [status, "unknown_sku"]
    line = body["lines"][0]
    assert (line["unit_price"], line["available_quantity"], line["stock_partial"], line["missing_sources"]) == (
        "129.00", available, True, [backend])


async def test_a_wms_outage_is_a_partial_answer_for_a_single_product(hub: Hub, guest: str) -> None:
    await sandbox(hub, "PUT", "wms/faults", {"outage": True})
    response = await product(hub, guest)
    body = ok(response)
    assert (body["available_quantity"], body["in_stock"], body["stock_partial"], body["missing_sources"]) == (
        0, False, True, ["wms"])
    assert response.headers["cache-control"] == "no-store"
