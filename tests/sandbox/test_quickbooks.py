"""The QuickBooks Online sandbox company over HTTP: auth, queries, requestid replay, faults, void."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from system_apis.sandbox.quickbooks.company import SANDBOX_REALM
from system_apis.sandbox.quickbooks.limits import RealmLimits

API = f"/sandbox/quickbooks/v3/company/{SANDBOX_REALM}"
AUTH = {"Authorization": "Bearer sandbox"}
INVOICE = {
    "DocNumber": "1001", "CustomerRef": {"value": "1"}, "CurrencyRef": {"value": "USD"},
    "Line": [{"Amount": 198.00, "DetailType": "SalesItemLineDetail",
              "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": 99.00}}],
    "CustomField": [{"DefinitionId": "1", "Name": "Hub Ref", "Type": "StringType", "StringValue": "ord_1"}],
    "PrivateNote": "Hub order ord_1",
}


async def _query(client: httpx.AsyncClient, statement: str, **params: str) -> httpx.Response:
    return await client.get(f"{API}/query", params={"query": statement, "minorversion": "75", **params}, headers=AUTH)


def _fault_code(response: httpx.Response) -> str:
    return response.json()["Fault"]["Error"][0]["code"]


async def test_every_call_needs_a_bearer_token_for_this_company(client: httpx.AsyncClient) -> None:
    missing = await client.get(f"{API}/query", params={"query": "select * from Item"})
    assert missing.status_code == 401 and missing.json()["Fault"]["type"] == "AUTHENTICATION"
    other = await client.get("/sandbox/quickbooks/v3/company/123/query", params={"query": "select * from Item"},
                             headers=AUTH)
    assert other.status_code == 403 and _fault_code(other) == "120"


async def test_queries_page_from_startposition_and_hide_inactive_items(client: httpx.AsyncClient) -> None:
    active = (await _query(client, "select * from Item orderby Sku")).json()["QueryResponse"]["Item"]
    assert [i["Sku"] for i in active] == ["SKU-1001", "SKU-1002", "SKU-1003"]
    page = (await _query(client, "select * from Item where Active in (true, false) orderby Sku desc "
                                 "startposition 2 maxresults 2")).json()["QueryResponse"]
    assert [i["Sku"] for i in page["Item"]] == ["SKU-1003", "SKU-1002"]
    assert (page["startPosition"], page["maxResults"]) == (2, 2)
    assert (await _query(client, "select * from Item where Sku = 'nope'")).json()["QueryResponse"] == {}


async def test_customer_custom_fields_come_only_when_asked_for(client: httpx.AsyncClient) -> None:
    plain = (await _query(client, "select * from Customer where DisplayName = 'CUST-ACME'")).json()
    assert "CustomField" not in plain["QueryResponse"]["Customer"][0]
    full = (await _query(client, "select * from Customer where DisplayName = 'CUST-ACME'",
                         include="enhancedAllCustomFields")).json()["QueryResponse"]["Customer"][0]
    assert {f["Name"]: f["StringValue"] for f in full["CustomField"]} == {
        "Credit Limit": "5000.00", "Credit Hold": "No", "Contract Prices": "SKU-1001=99.00"}
    assert full["SalesTermRef"]["name"] == "Net 30"


@pytest.mark.parametrize(("statement", "code"), [
    ("select * from", "4000"), ("select * from Item where Sku = 'x' startposition -1", "4000"),
    ("select * from Item where Sku ! 'x'", "4000"), ("select * from Vendorz", "4001"),
])
async def test_a_bad_statement_is_a_query_fault(client: httpx.AsyncClient, statement: str, code: str) -> None:
    response = await _query(client, statement)
    assert response.status_code == 400 and _fault_code(response) == code


async def test_a_repeated_requestid_replays_the_first_answer_and_books_nothing(client: httpx.AsyncClient) -> None:
    first = await client.post(f"{API}/invoice", params={"requestid": "r-1"}, json=INVOICE, headers=AUTH)
    again = await client.post(f"{API}/invoice", params={"requestid": "r-1"}, json={"junk": True}, headers=AUTH)

    assert first.status_code == again.status_code == 200 and again.content == first.content
    invoice = first.json()["Invoice"]
    assert (invoice["TotalAmt"], invoice["Balance"], invoice["CustomerRef"]["name"]) == (198.0, 198.0, "CUST-ACME")
    views = (await client.get("/sandbox/quickbooks/sales-orders", params={"external_ref": "ord_1"})).json()["items"]
    assert [(v["erp_order_number"], v["total"], v["status"]) for v in views] == [(f"INV-{invoice['Id']}", "198.00",
                                                                                  "open")]


@pytest.mark.parametrize(("change", "code"), [
    ({"DocNumber": "1001"}, "6140"),
    ({"Line": [{"Amount": 1, "SalesItemLineDetail": {"ItemRef": {"value": "1"}, "Qty": 2, "UnitPrice": 99}}]}, "6070"),
    ({"Line": [{"Amount": 1, "SalesItemLineDetail": {"ItemRef": {"value": "4"}, "Qty": 1, "UnitPrice": 1}}]}, "2500"),
    ({"CustomerRef": None}, "2020"),
    ({"Line": []}, "2020"),
])
async def test_the_company_refuses_a_bad_invoice_with_its_fault(client: httpx.AsyncClient, change: dict,
                                                                code: str) -> None:
    assert (await client.post(f"{API}/invoice", json=INVOICE, headers=AUTH)).status_code == 200
    refused = await client.post(f"{API}/invoice", json={**INVOICE, "DocNumber": "1002", **change}, headers=AUTH)
    assert refused.status_code == 400 and _fault_code(refused) == code


async def test_a_void_needs_the_current_sync_token_and_keeps_the_memo(client: httpx.AsyncClient) -> None:
    memo = (await client.post(f"{API}/creditmemo", json=INVOICE, headers=AUTH)).json()["CreditMemo"]
    stale = await client.post(f"{API}/creditmemo", params={"operation": "void"},
                              json={"Id": memo["Id"], "SyncToken": "9", "sparse": True}, headers=AUTH)
    assert stale.status_code == 400 and _fault_code(stale) == "5010"

    voided = await client.post(f"{API}/creditmemo", params={"operation": "void"},
                               json={"Id": memo["Id"], "SyncToken": "0", "sparse": True}, headers=AUTH)

    read = (await client.get(f"{API}/creditmemo/{memo['Id']}", headers=AUTH)).json()["CreditMemo"]
    assert voided.status_code == 200 and (read["TotalAmt"], read["SyncToken"]) == (0.0, "1")
    assert read["PrivateNote"].startswith("Voided")
    views = (await client.get("/sandbox/quickbooks/credit-memos", params={"external_ref": "ord_1"})).json()["items"]
    assert [(v["status"], v["amount"]) for v in views] == [("void", "0.00")]
    unknown = await client.get(f"{API}/creditmemo/999", headers=AUTH)
    assert unknown.status_code == 400 and _fault_code(unknown) == "610"
    item = await client.post(f"{API}/item", params={"operation": "void"}, json={"Id": "1", "SyncToken": "0"},
                             headers=AUTH)
    assert item.status_code == 400 and _fault_code(item) == "500"


async def test_a_refund_receipt_needs_the_account_the_money_leaves(client: httpx.AsyncClient) -> None:
    guest = {**INVOICE, "CustomerRef": None}
    refused = await client.post(f"{API}/refundreceipt", json=guest, headers=AUTH)
    assert refused.status_code == 400 and _fault_code(refused) == "2020"
    booked = await client.post(f"{API}/refundreceipt", json={**guest, "DepositToAccountRef": {"value": "35"}},
                               headers=AUTH)
    assert booked.status_code == 200 and booked.json()["RefundReceipt"]["TotalAmt"] == 198.0


async def test_the_fault_switch_throttles_in_qbo_s_words_and_reset_forgets_the_books(client: httpx.AsyncClient) -> None:
    await client.post(f"{API}/invoice", params={"requestid": "r-2"}, json=INVOICE, headers=AUTH)
    await client.put("/sandbox/quickbooks/faults", json={"throttle": True})

    throttled = await _query(client, "select * from Item")

    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert throttled.json()["Fault"]["type"] == "ThrottlingFault" and _fault_code(throttled) == "003001"
    await client.post("/sandbox/reset")
    assert (await client.get("/sandbox/quickbooks/sales-orders")).json()["items"] == []
    again = await client.post(f"{API}/invoice", params={"requestid": "r-2"}, json=INVOICE, headers=AUTH)
    assert again.json()["Invoice"]["Id"] == "101"


def test_a_realm_takes_500_requests_a_minute_and_10_at_once() -> None:
    now = [0.0]
    limits = RealmLimits(clock=lambda: now[0])
    assert [limits.admit() for _ in range(10)] == [None] * 10
    assert limits.admit() == 1.0  # ten in flight
    for _ in range(10):
        limits.done()
    for second in range(49):
        now[0] = second
        assert [limits.admit() for _ in range(10)] == [None] * 10
        for _ in range(10):
            limits.done()
    now[0] = 50.0
    assert limits.admit() == 10.0  # 500 in the last minute: the first ten leave the window at 60 s
    now[0] = 60.0
    assert limits.admit() is None


async def test_more_than_ten_requests_at_once_are_throttled_in_qbo_s_words(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/quickbooks/faults", json={"latency_ms": 200})

    answers = await asyncio.gather(*(_query(client, "select * from Item") for _ in range(12)))

    throttled = [a for a in answers if a.status_code == 429]
    assert len(throttled) == 2 and sum(a.status_code == 200 for a in answers) == 10
    assert throttled[0].headers["Retry-After"] == "1" and _fault_code(throttled[0]) == "003001"
    await client.delete("/sandbox/quickbooks/faults")
    assert (await _query(client, "select * from Item")).status_code == 200
