"""The QuickBooks Online adapter's wire: what it sends (realm path, minorversion, bearer token,
query statements, requestid, money as JSON numbers) and how ``classify`` reads QBO's answers."""

from __future__ import annotations

from decimal import Decimal

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from system_apis.quickbooks import client as qbo
from tests.system_apis.contracts.harness import UnderTest
from tests.system_apis.contracts.test_erp_port import MEMO, ORDER

EMPTY = httpx.Response(200, json={"QueryResponse": {}, "time": "2026-12-06T10:00:00-08:00"})


def _fault(status: int, code: str, headers: dict | None = None) -> httpx.Response:
    body = {"Fault": {"Error": [{"Message": "Vendor message", "Detail": "Vendor detail", "code": code}],
                      "type": "ValidationFault"}}
    return httpx.Response(status, json=body, headers=headers)


@pytest.fixture
async def qbo_sandbox():
    under_test = UnderTest("quickbooks", "erp")
    yield under_test
    await under_test.aclose()


async def test_reads_go_to_the_realm_s_query_endpoint_with_minorversion(wire) -> None:
    w = wire("quickbooks", qbo.classify, EMPTY)
    adapter = qbo.QuickBooksErpAdapter(w.http, realm_id="4620816365", minor_version=75)

    page = await adapter.list_items(offset=200, limit=5000)

    sent = w.requests[0]
    assert sent.url.path == "/sandbox/quickbooks/v3/company/4620816365/query"
    assert sent.url.params["minorversion"] == "75"
    assert sent.url.params["query"] == ("select * from Item where Active in (true, false) orderby Sku"
                                        " startposition 201 maxresults 1000")
    assert page.items == () and page.next_offset is None


async def test_a_quote_in_a_key_is_escaped_in_the_statement(wire) -> None:
    w = wire("quickbooks", qbo.classify, EMPTY)

    with pytest.raises(NotFound):
        await qbo.QuickBooksErpAdapter(w.http).get_customer("O'Brien \\ Sons")

    assert w.requests[0].url.params["query"] == r"select * from Customer where DisplayName = 'O\'Brien \\ Sons'"
    assert w.requests[0].url.params["include"] == "enhancedAllCustomFields"


async def test_a_quoted_key_reaches_the_sandbox_as_one_literal(qbo_sandbox: UnderTest) -> None:
    with pytest.raises(NotFound) as caught:
        await qbo_sandbox.erp.get_item("SKU-1001' or Sku = 'SKU-1002")
    assert caught.value.code == "unknown_sku"


async def test_a_post_carries_the_token_the_requestid_and_money_as_numbers(qbo_sandbox: UnderTest) -> None:
    await qbo_sandbox.erp.post_sales_order(ORDER)

    (post,) = qbo_sandbox.transport.posts()
    assert post.headers["Authorization"] == f"Bearer {qbo.SANDBOX_ACCESS_TOKEN}"
    assert post.url.path == f"/sandbox/quickbooks/v3/company/{qbo.SANDBOX_REALM}/invoice"
    assert (post.url.params["requestid"], post.url.params["minorversion"]) == (ORDER.order_id, "75")
    body = msgspec.json.decode(post.content)
    assert b'"Amount":198.00' in post.content and b'"UnitPrice":24.50' in post.content
    assert body["DocNumber"] == ORDER.order_id[-21:] and body["TxnDate"] == "2026-11-22"
    assert {f["Name"]: f["StringValue"] for f in body["CustomField"]} == {"Hub Ref": ORDER.order_id,
                                                                        "Channel Ref": "WEB-5531"}
    assert body["ShipAddr"] == {"Line1": "Acme Receiving", "Line2": "1 Main St", "City": "Springfield",
                                "CountrySubDivisionCode": "IL", "PostalCode": "62701", "Country": "US"}


async def test_a_second_request_id_for_one_order_finds_the_first_booking(qbo_sandbox: UnderTest) -> None:
    first = await qbo_sandbox.erp.post_sales_order(ORDER)
    qbo_sandbox.app.state.sandbox.backends["quickbooks"].requests.clear()  # QBO forgot the request id

    again = await qbo_sandbox.erp.post_sales_order(ORDER)

    assert again == first
    assert len(await qbo_sandbox.view("sales-orders")) == 1


async def test_master_data_ids_are_looked_up_once_per_adapter(qbo_sandbox: UnderTest) -> None:
    await qbo_sandbox.erp.post_sales_order(ORDER)
    await qbo_sandbox.erp.create_credit_memo(MEMO)

    queries = [r.url.params["query"] for r in qbo_sandbox.transport.sent if r.method == "GET"]
    assert sum("from Customer" in q for q in queries) == 1
    assert [q for q in queries if "from Item" in q] == ["select * from Item where Sku in ('SKU-1001', 'SKU-1002')"
                                                        " maxresults 1000"]


@pytest.mark.parametrize(("answer", "error", "retry_after"), [
    (_fault(429, "003001"), BackendThrottled, qbo.THROTTLE_WINDOW),
    (_fault(429, "003001", {"Retry-After": "7"}), BackendThrottled, 7.0),
    (_fault(400, "3001"), BackendThrottled, qbo.THROTTLE_WINDOW),
    (_fault(500, "10000"), BackendUnavailable, None),
    (httpx.Response(503, text="<html>down</html>"), BackendUnavailable, None),
])
def test_classify_retryable_answers(answer: httpx.Response, error: type, retry_after: float | None) -> None:
    answer.request = httpx.Request("GET", "http://qbo.test/v3/company/1/query")
    with pytest.raises(error) as caught:
        qbo.classify(answer)
    assert type(caught.value) is error and caught.value.retry_after == retry_after


@pytest.mark.parametrize(("method", "answer", "error"), [
    ("GET", _fault(400, "610"), NotFound),
    ("POST", _fault(400, "610"), BackendError),
    ("GET", _fault(401, "3200"), BackendError),
    ("POST", _fault(400, "6140"), BackendError),
    ("GET", _fault(200, "4000"), BackendError),
    ("GET", httpx.Response(404, text="no such path"), NotFound),
])
def test_classify_permanent_answers(method: str, answer: httpx.Response, error: type) -> None:
    answer.request = httpx.Request(method, "http://qbo.test/v3/company/1/invoice")
    with pytest.raises(error) as caught:
        qbo.classify(answer)
    assert type(caught.value) is error
    assert "Vendor" not in str(caught.value) and "Vendor" not in repr(caught.value.extra)


def test_classify_passes_a_good_answer() -> None:
    answer = httpx.Response(200, json={"QueryResponse": {}})
    answer.request = httpx.Request("GET", "http://qbo.test/v3/company/1/query")
    qbo.classify(answer)


async def test_a_refusal_keeps_only_the_fault_code(qbo_sandbox: UnderTest) -> None:
    await qbo_sandbox.erp.post_sales_order(ORDER)  # the customer's and items' Ids are known now
    qbo_sandbox.transport.scripted = [_fault(400, "6070")]

    with pytest.raises(BackendError) as caught:
        await qbo_sandbox.erp.post_sales_order(msgspec.structs.replace(ORDER, order_id="ord_02"))

    assert qbo_sandbox.transport.sent[-1].method == "POST"
    assert caught.value.extra == {"vendor_code": "6070"}
    assert caught.value.detail == "QUICKBOOKS answered 400"


async def test_the_bookkeeper_s_changes_reach_what_the_adapter_reads(qbo_sandbox: UnderTest) -> None:
    async def control(path: str, body: dict) -> httpx.Response:
        return await qbo_sandbox.control.put(f"/sandbox/quickbooks/{path}", json=body)

    assert (await control("items/SKU-1002/price", {"list_price": "26.00"})).json()["SyncToken"] == "1"
    await control("customers/CUST-BOLT/credit", {"credit_hold": True, "credit_limit": "750"})
    await control("customers/CUST-BOLT/item-prices/SKU-1002", {"unit_price": "20.00"})
    await control("customers/CUST-ACME/item-prices/SKU-1001", {"unit_price": None})

    assert (await qbo_sandbox.erp.get_item("SKU-1002")).list_price == Decimal("26.00")
    bolt = await qbo_sandbox.erp.get_customer("CUST-BOLT")
    assert (bolt.credit_hold, bolt.credit_limit) == (True, Decimal("750.00"))
    assert (await qbo_sandbox.erp.get_contract_prices("CUST-BOLT")).prices == {"SKU-1002": Decimal("20.00")}
    assert (await qbo_sandbox.erp.get_contract_prices("CUST-ACME")).prices == {}
    assert (await control("items/SKU-9999/price", {"list_price": "1.00"})).status_code == 404
    assert (await control("items/SKU-1002/price", {"list_price": "0"})).status_code == 422
    assert (await control("customers/CUST-BOLT/credit", {"credit_limit": "lots"})).status_code == 422
