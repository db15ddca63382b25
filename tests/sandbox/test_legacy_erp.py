"""The legacy ERP sandbox over HTTP: its SOAP service's faults and its CSV exports."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from system_apis.legacy_erp import soap

SERVICE = "/sandbox/legacy_erp/ws/SalesService"


def _call(operation: str, fields, *, password: str = "legacy-sandbox") -> bytes:
    return soap.envelope(operation, fields, username="hub", password=password)


async def _post(client: httpx.AsyncClient, content: bytes, action: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "text/xml; charset=utf-8"}
    if action:
        headers["SOAPAction"] = f'"{action}"'
    return await client.post(SERVICE, content=content, headers=headers)


@pytest.mark.parametrize(("content", "action", "code"), [
    (_call("GetCustomer", [("CustomerNo", "CUST-ACME")], password="wrong"), None, "AUTHENTICATION_FAILED"),
    (_call("GetCustomer", [("CustomerNo", "CUST-NOPE")]), None, "CUSTOMER_NOT_FOUND"),
    (_call("GetCustomer", []), None, "MISSING_FIELD"),
    (_call("DropTables", []), None, "UNKNOWN_OPERATION"),
    (_call("GetCustomer", [("CustomerNo", "CUST-ACME")]), "urn:legacy-erp:sales:2009#VoidCreditMemo", "ACTION_MISMATCH"),
    (b"<not-soap/>", None, "MALFORMED_REQUEST"),
    (b'<!DOCTYPE x [<!ENTITY a "b">]><x/>', None, "MALFORMED_REQUEST"),
    (_call("VoidCreditMemo", [("CreditMemoNo", "CM1")]), None, "CREDIT_MEMO_NOT_FOUND"),
])
async def test_a_refused_call_is_a_soap_fault_with_http_500(client: httpx.AsyncClient, content: bytes,
                                                             action: str | None, code: str) -> None:
    response = await _post(client, content, action)

    assert response.status_code == 500 and response.headers["content-type"].startswith("text/xml")
    fault = soap.fault_of(response.content)
    assert fault is not None and fault.client and fault.code == code


async def test_a_second_order_with_one_external_ref_is_refused(client: httpx.AsyncClient) -> None:
    order = [("ExternalRef", "ord_1"), ("CustomerNo", "CUST-BOLT"), ("Currency", "USD"), ("Total", "49.00"),
             ("Lines", [("Line", [("ItemNo", "SKU-1002"), ("Qty", "2"), ("UnitPrice", "24.50")])])]
    first = await _post(client, _call("SubmitSalesOrder", order))
    assert first.status_code == 200
    booked = soap.body_of(soap.parse(first.content))
    assert soap.text(booked[0], "OrderNo") == "SO500001"

    again = await _post(client, _call("SubmitSalesOrder", order))

    assert soap.fault_of(again.content).code == "DUPLICATE_EXTERNAL_REF"
    wrong_total = [("ExternalRef", "ord_2"), *order[1:3], ("Total", "1.00"), order[4]]
    mismatch = await _post(client, _call("SubmitSalesOrder", wrong_total))
    assert soap.fault_of(mismatch.content).code == "TOTAL_MISMATCH"


async def test_the_exports_are_csv_files_of_the_seed(client: httpx.AsyncClient) -> None:
    items = await client.get("/sandbox/legacy_erp/exports/items.csv")
    assert items.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(items.text)))
    assert [(r["ITEM_NO"], r["LIST_PRICE"], r["STATUS"], r["FINAL_SALE"]) for r in rows] == [
        ("SKU-1001", "129.00", "A", "N"), ("SKU-1002", "24.50", "A", "N"), ("SKU-1003", "8.75", "A", "Y"),
        ("SKU-1004", "49.00", "D", "N")]
    contracts = await client.get("/sandbox/legacy_erp/exports/contract_prices.csv")
    assert contracts.text == "CUSTOMER_NO,ITEM_NO,UNIT_PRICE\r\nCUST-ACME,SKU-1001,99.00\r\n"
    assert (await client.get("/sandbox/legacy_erp/exports/passwords.csv")).status_code == 404


async def test_the_proxy_in_front_throttles_with_429(client: httpx.AsyncClient) -> None:
    await client.put("/sandbox/legacy_erp/faults", json={"throttle": True})

    throttled = await client.get("/sandbox/legacy_erp/exports/items.csv")

    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "1")
    assert (await client.get("/sandbox/legacy_erp/sales-orders")).status_code == 200  # views are never faulted
