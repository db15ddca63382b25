"""The NetSuite sandbox account over HTTP: auth, SuiteQL paging, upserts by external id, errors, faults."""

from __future__ import annotations

import asyncio

import httpx
import pytest

REST = "/sandbox/netsuite/services/rest"
AUTH = {"Authorization": "Bearer sandbox", "Prefer": "transient"}
ORDER = {"entity": {"id": "1201"}, "currency": {"id": "1"}, "otherRefNum": "WEB-1",
         "item": {"items": [{"item": {"id": "501"}, "quantity": 2, "rate": 99.0}]}}


async def _suiteql(client: httpx.AsyncClient, statement: str, headers: dict[str, str] = AUTH,
                   **params: int) -> httpx.Response:
    return await client.post(f"{REST}/query/v1/suiteql", params=params, json={"q": statement}, headers=headers)


def _code(response: httpx.Response) -> str:
    return response.json()["o:errorDetails"][0]["o:errorCode"]


async def test_every_call_needs_a_bearer_token(client: httpx.AsyncClient) -> None:
    answer = await _suiteql(client, "SELECT id FROM item", headers={"Prefer": "transient"})
    assert answer.status_code == 401 and _code(answer) == "INVALID_LOGIN"
    assert answer.json()["status"] == 401


async def test_suiteql_needs_prefer_transient_and_a_statement_it_reads(client: httpx.AsyncClient) -> None:
    no_prefer = await _suiteql(client, "SELECT id FROM item", headers={"Authorization": "Bearer x"})
    assert no_prefer.status_code == 400 and no_prefer.json()["o:errorDetails"][0]["o:errorHeader"] == "Prefer"
    for statement in ("SELECT id FROM nowhere", "DELETE FROM item", "SELECT id FROM item WHERE itemid = "):
        bad = await _suiteql(client, statement)
        assert bad.status_code == 400 and _code(bad) == "USER_ERROR", statement


async def test_suiteql_pages_by_limit_and_offset_with_has_more_and_links(client: httpx.AsyncClient) -> None:
    first = (await _suiteql(client, "SELECT itemid FROM item ORDER BY itemid", limit=3, offset=0)).json()
    assert [r["itemid"] for r in first["items"]] == ["SKU-1001", "SKU-1002", "SKU-1003"]
    assert (first["hasMore"], first["count"], first["totalResults"]) == (True, 3, 4)
    assert [link["rel"] for link in first["links"]] == ["self", "next"]
    last = (await _suiteql(client, "SELECT itemid FROM item ORDER BY itemid", limit=3, offset=3)).json()
    assert ([r["itemid"] for r in last["items"]], last["hasMore"]) == (["SKU-1004"], False)
    off_grid = await _suiteql(client, "SELECT itemid FROM item", limit=3, offset=2)
    assert off_grid.status_code == 400 and off_grid.json()["o:errorDetails"][0]["o:errorQueryParam"] == "offset"
    assert (await _suiteql(client, "SELECT itemid FROM item", limit=1001)).status_code == 400


async def test_null_columns_are_left_out_and_strings_quote_with_two_quotes(client: httpx.AsyncClient) -> None:
    rows = (await _suiteql(client, "SELECT entityid, creditlimit FROM customer WHERE entityid IN ('WEB-GUEST', "
                           "'CUST-ACME') ORDER BY entityid")).json()["items"]
    assert [{k: v for k, v in r.items() if k != "links"} for r in rows] == [
        {"entityid": "CUST-ACME", "creditlimit": "5000.00"}, {"entityid": "WEB-GUEST"}]
    quoted = (await _suiteql(client, "SELECT id FROM customer WHERE companyname = 'O''Hara'")).json()
    assert quoted["items"] == []


async def test_an_upsert_by_external_id_books_one_record_and_answers_its_location(client: httpx.AsyncClient) -> None:
    first = await client.put(f"{REST}/record/v1/salesOrder/eid:ord_1", json=ORDER, headers=AUTH)
    again = await client.put(f"{REST}/record/v1/salesOrder/eid:ord_1", json=ORDER, headers=AUTH)

    assert first.status_code == again.status_code == 204
    assert first.headers["Location"] == again.headers["Location"]
    record = (await client.get(f"{REST}/record/v1/salesOrder/eid:ord_1", headers=AUTH)).json()
    assert (record["externalId"], record["total"], record["entity"]["refName"]) == ("ord_1", 198.0, "CUST-ACME")
    assert first.headers["Location"].endswith(f"/salesOrder/{record['id']}")
    (view,) = (await client.get("/sandbox/netsuite/sales-orders", params={"external_ref": "ord_1"})).json()["items"]
    assert (view["erp_order_number"], view["status"]) == (record["tranId"], "open")


@pytest.mark.parametrize("change", [
    {"entity": {"id": "9999"}},
    {"item": {"items": [{"item": {"id": "504"}, "quantity": 1, "rate": 49.0}]}},  # inactive (discontinued)
    {"item": {"items": []}},
    {"item": {"items": [{"item": {"id": "501"}, "quantity": "two", "rate": 1}]}},
], ids=["unknown-customer", "inactive-item", "no-lines", "bad-quantity"])
async def test_a_record_the_account_cannot_book_is_a_400_with_error_details(client: httpx.AsyncClient,
                                                                           change: dict) -> None:
    answer = await client.put(f"{REST}/record/v1/salesOrder/eid:ord_2", json={**ORDER, **change}, headers=AUTH)
    assert answer.status_code == 400 and _code(answer) == "USER_ERROR"
    assert "o:errorPath" in answer.json()["o:errorDetails"][0]
    assert (await client.get("/sandbox/netsuite/sales-orders")).json()["items"] == []


async def test_unknown_records_and_types_are_404(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{REST}/record/v1/creditMemo/12345", headers=AUTH)
    assert missing.status_code == 404 and _code(missing) == "NONEXISTENT_ID"
    other = await client.get(f"{REST}/record/v1/vendorBill/1", headers=AUTH)
    assert other.status_code == 404 and _code(other) == "INVALID_RCRD_TYPE"
    by_id = await client.put(f"{REST}/record/v1/salesOrder/17", json=ORDER, headers=AUTH)
    assert by_id.status_code == 400


async def test_the_throttle_fault_is_netsuite_s_concurrency_limit_error(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/netsuite/faults", json={"throttle": True})

    answer = await _suiteql(client, "SELECT id FROM item")

    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "1")
    assert _code(answer) == "CONCURRENCY_LIMIT_EXCEEDED" and answer.json()["status"] == 429
    await client.delete("/sandbox/netsuite/faults")
    assert (await _suiteql(client, "SELECT id FROM item")).status_code == 200


async def test_reset_forgets_the_records_booked(client: httpx.AsyncClient) -> None:
    await client.put(f"{REST}/record/v1/creditMemo/eid:rma_1", json=ORDER, headers=AUTH)
    assert len((await client.get("/sandbox/netsuite/credit-memos")).json()["items"]) == 1
    await client.post("/sandbox/reset")
    assert (await client.get("/sandbox/netsuite/credit-memos")).json()["items"] == []


async def test_more_than_fifteen_requests_at_once_meet_the_concurrency_limit(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/netsuite/faults", json={"latency_ms": 200})

    answers = await asyncio.gather(*(_suiteql(client, "SELECT id FROM item") for _ in range(17)))

    throttled = [a for a in answers if a.status_code == 429]
    assert len(throttled) == 2 and sum(a.status_code == 200 for a in answers) == 15
    assert _code(throttled[0]) == "CONCURRENCY_LIMIT_EXCEEDED"
    await client.delete("/sandbox/netsuite/faults")
    assert (await _suiteql(client, "SELECT id FROM item")).status_code == 200
