"""The NCR Counterpoint sandbox over HTTP: Basic auth and APIKey, IM_INV rows, paging, counts."""

from __future__ import annotations

import httpx
import pytest

from system_apis.counterpoint.client import auth_headers

API = "/sandbox/counterpoint"


async def test_every_call_needs_basic_auth_then_an_api_key(client: httpx.AsyncClient) -> None:
    none = await client.get(f"{API}/Inventory/NYC")
    assert none.status_code == 401 and none.json()["ErrorCode"] == "UNAUTHORIZED"
    no_key = await client.get(f"{API}/Inventory/NYC", headers={"Authorization": auth_headers()["Authorization"]})
    assert no_key.status_code == 403 and no_key.json()["ErrorCode"] == "INVALID_APIKEY"


async def test_a_location_s_rows_are_paged_only_with_page_and_rows(client: httpx.AsyncClient) -> None:
    for sku in ("SKU-1001", "SKU-1003"):
        await client.put(f"{API}/inventory/NYC/{sku}", json={"on_hand": 1})
    everything = (await client.get(f"{API}/Inventory/NYC", headers=auth_headers())).json()
    assert [r["ITEM_NO"] for r in everything["IM_INV"]] == ["SKU-1001", "SKU-1002", "SKU-1003"]
    assert everything["ErrorCode"] == "SUCCESS"
    second = (await client.get(f"{API}/Inventory/NYC", params={"Page": 2, "Rows": 2}, headers=auth_headers())).json()
    assert [r["ITEM_NO"] for r in second["IM_INV"]] == ["SKU-1003"]
    only_page = (await client.get(f"{API}/Inventory/NYC", params={"Page": 2}, headers=auth_headers())).json()
    assert len(only_page["IM_INV"]) == 3


async def test_a_count_moves_the_row_stamp_and_reset_restores_the_seed(client: httpx.AsyncClient) -> None:
    before = (await client.get(f"{API}/Item/SKU-1002/Inventory/NYC", headers=auth_headers())).json()["IM_INV"]
    changed = (await client.put(f"{API}/inventory/NYC/SKU-1002", json={"on_hand": 9})).json()
    assert (changed["QTY_ON_HND"], changed["QTY_AVAIL"]) == (9, 9)
    assert changed["RS_UTC_DT"] > before["RS_UTC_DT"] and len(changed["RS_UTC_DT"]) == 27
    await client.post("/sandbox/reset")
    after = (await client.get(f"{API}/Item/SKU-1002/Inventory/NYC", headers=auth_headers())).json()["IM_INV"]
    assert after["QTY_ON_HND"] == 3


@pytest.mark.parametrize("body", [{"on_hand": -1}, {"on_hand": "x"}, {"qty": 1}])
async def test_a_bad_count_is_a_problem(client: httpx.AsyncClient, body: dict) -> None:
    answer = await client.put(f"{API}/inventory/NYC/SKU-1002", json=body)
    assert answer.status_code in (400, 422)


async def test_the_throttle_fault_answers_in_counterpoint_s_error_envelope(client: httpx.AsyncClient) -> None:
    await client.put(f"{API}/faults", json={"throttle": True})
    answer = await client.get(f"{API}/Item/SKU-1002/Inventory/NYC", headers=auth_headers())
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
    assert answer.json()["ErrorCode"] == "TOO_MANY_REQUESTS"
    assert (await client.put(f"{API}/inventory/NYC/SKU-1002", json={"on_hand": 2})).status_code == 200
