"""The NetSuite adapter's wire: SuiteQL with ``Prefer: transient`` and paging on the offset grid,
upserts by external id, the void PATCH, and how ``classify`` reads NetSuite's error bodies."""

from __future__ import annotations

import json
from decimal import Decimal

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from system_apis.netsuite import client as ns
from system_apis.netsuite.mapping import external_id
from tests.system_apis.contracts.harness import UnderTest
from tests.system_apis.contracts.test_erp_port import MEMO, ORDER

EMPTY = httpx.Response(200, json={"links": [], "count": 0, "hasMore": False, "items": [], "offset": 0,
                                  "totalResults": 0})


def _error(status: int, code: str, headers: dict | None = None) -> httpx.Response:
    body = {"type": "t", "title": "Error", "status": status,
            "o:errorDetails": [{"detail": "Vendor detail", "o:errorCode": code}]}
    return httpx.Response(status, json=body, headers=headers, request=httpx.Request("GET", "http://ns.test/"))


@pytest.fixture
async def ns_sandbox():
    under_test = UnderTest("netsuite", "erp")
    yield under_test
    await under_test.aclose()


async def test_reads_are_suiteql_posts_with_prefer_transient_on_the_offset_grid(wire) -> None:
    w = wire("netsuite", ns.classify, EMPTY)

    page = await ns.NetSuiteErpAdapter(w.http).list_items(offset=200, limit=5000)

    sent = w.requests[0]
    assert (sent.method, sent.url.path) == ("POST", "/sandbox/netsuite/services/rest/query/v1/suiteql")
    assert sent.headers["Prefer"] == "transient"
    assert (sent.url.params["limit"], sent.url.params["offset"]) == ("200", "200")  # 1000 capped, then on the grid
    assert json.loads(sent.content)["q"].endswith("FROM item ORDER BY itemid")
    assert page.items == () and page.next_offset is None


@pytest.mark.parametrize(("offset", "limit", "asked"), [(0, 100, 100), (3, 2, 1), (6, 4, 2), (2000, 1500, 1000)])
async def test_an_offset_off_the_grid_asks_a_smaller_page(wire, offset: int, limit: int, asked: int) -> None:
    w = wire("netsuite", ns.classify, EMPTY)
    await ns.NetSuiteErpAdapter(w.http).list_customers(offset, limit)
    assert int(w.requests[0].url.params["limit"]) == asked
    assert offset % asked == 0


async def test_an_item_walk_from_an_odd_offset_ends_with_every_sku_once(ns_sandbox: UnderTest) -> None:
    skus, offset = [], 1
    while offset is not None:
        page = await ns_sandbox.erp.list_items(offset, 2)
        skus += [i.sku for i in page.items]
        offset = page.next_offset
    assert skus == ["SKU-1002", "SKU-1003", "SKU-1004"]


async def test_a_quote_in_a_key_stays_one_literal(ns_sandbox: UnderTest) -> None:
    with pytest.raises(NotFound) as caught:
        await ns_sandbox.erp.get_item("SKU-1001' OR itemid = 'SKU-1002")
    assert caught.value.code == "unknown_sku"
    sent = json.loads(ns_sandbox.transport.sent[-1].content)["q"]
    assert "'SKU-1001'' OR itemid = ''SKU-1002'" in sent


async def test_an_order_is_an_upsert_by_external_id_with_money_as_numbers(ns_sandbox: UnderTest) -> None:
    ref = await ns_sandbox.erp.post_sales_order(ORDER)

    (put,) = [r for r in ns_sandbox.transport.sent if r.method == "PUT"]
    assert put.url.path.endswith(f"/services/rest/record/v1/salesOrder/eid:{ORDER.order_id}")
    assert put.headers["Authorization"].startswith("Bearer ")
    body = json.loads(put.content)
    assert body["item"]["items"][0] == {"item": {"id": "501"}, "quantity": 2, "rate": 99.0, "amount": 198.0}
    assert (body["otherRefNum"], body["shippingAddress"]["addressee"]) == ("WEB-5531", "Acme Receiving")
    assert ref.erp_order_number.startswith("SO")


async def test_an_order_already_booked_is_answered_without_a_second_write(ns_sandbox: UnderTest) -> None:
    first = await ns_sandbox.erp.post_sales_order(ORDER)
    ns_sandbox.transport.sent.clear()

    assert await ns_sandbox.erp.post_sales_order(ORDER) == first
    assert [r.method for r in ns_sandbox.transport.sent] == ["GET"]


async def test_a_guest_order_is_booked_to_the_guest_customer(ns_sandbox: UnderTest) -> None:
    guest = msgspec.structs.replace(ORDER, customer_id=None, ship_to=None)
    await ns_sandbox.erp.post_sales_order(guest)
    (booked,) = await ns_sandbox.view("sales-orders")
    assert booked["customer_id"] == "WEB-GUEST"
    assert [c.customer_id for c in (await ns_sandbox.erp.list_customers()).items] == [
        "CUST-ACME", "CUST-BOLT", "CUST-HOLD"]
    with pytest.raises(NotFound):
        await ns_sandbox.erp.get_customer("WEB-GUEST")


async def test_a_void_patches_memo_void_and_zero_rates(ns_sandbox: UnderTest) -> None:
    ref = await ns_sandbox.erp.create_credit_memo(MEMO)
    await ns_sandbox.erp.void_credit_memo(ref.credit_memo_id)

    (patch,) = [r for r in ns_sandbox.transport.sent if r.method == "PATCH"]
    assert patch.url.path.endswith(f"/record/v1/creditMemo/{ref.credit_memo_id.removeprefix('CM-')}")
    assert json.loads(patch.content) == {"memo": "VOID", "item": {"items": [
        {"item": {"id": "501"}, "quantity": 1, "rate": 0.0}]}}
    (voided,) = await ns_sandbox.view("credit-memos")
    assert (voided["status"], voided["amount"]) == ("void", "0.00")


def test_a_key_outside_netsuite_s_external_id_alphabet_goes_as_a_digest() -> None:
    assert external_id("ord_01JF-x") == "ord_01JF-x"
    digest = external_id("ord 1/2")
    assert digest.startswith("h-") and digest == external_id("ord 1/2") and digest != external_id("ord 1/3")
    assert len(external_id("x" * 101)) == 42


@pytest.mark.parametrize(("answer", "error", "retry_after"), [
    (_error(429, "CONCURRENCY_LIMIT_EXCEEDED"), BackendThrottled, ns.THROTTLE_WAIT),
    (_error(429, "CONCURRENCY_LIMIT_EXCEEDED", {"Retry-After": "7"}), BackendThrottled, 7.0),
    (_error(400, "SSS_REQUEST_LIMIT_EXCEEDED"), BackendThrottled, ns.THROTTLE_WAIT),
    (_error(503, "UNEXPECTED_ERROR"), BackendUnavailable, None),
    (httpx.Response(502, text="<html>bad gateway</html>"), BackendUnavailable, None),
], ids=["429", "429-retry-after", "limit-code-in-400", "503", "html-502"])
def test_classify_retryable_answers(answer: httpx.Response, error: type, retry_after: float | None) -> None:
    with pytest.raises(error) as caught:
        ns.classify(answer)
    if retry_after is not None:
        assert caught.value.retry_after == retry_after


@pytest.mark.parametrize(("answer", "error"), [
    (_error(404, "NONEXISTENT_ID"), NotFound),
    (_error(400, "USER_ERROR"), BackendError),
    (_error(401, "INVALID_LOGIN"), BackendError),
    (_error(403, "INSUFFICIENT_PERMISSION"), BackendError),
], ids=["404", "400", "401", "403"])
def test_classify_permanent_answers(answer: httpx.Response, error: type) -> None:
    with pytest.raises(error) as caught:
        ns.classify(answer)
    assert not isinstance(caught.value, BackendUnavailable)
    if error is BackendError:
        assert caught.value.extra["vendor_code"] == answer.json()["o:errorDetails"][0]["o:errorCode"]
        assert "Vendor detail" not in f"{caught.value} {caught.value.detail} {caught.value.extra}"


def test_classify_passes_a_204_without_a_body() -> None:
    ns.classify(httpx.Response(204))


async def test_master_data_ids_and_lists_are_read_once_per_adapter(ns_sandbox: UnderTest) -> None:
    await ns_sandbox.erp.get_customer("CUST-ACME")
    await ns_sandbox.erp.get_customer("CUST-BOLT")
    statements = [json.loads(r.content)["q"] for r in ns_sandbox.transport.sent if r.method == "POST"]
    assert sum("FROM term" in s for s in statements) == 1
    assert sum("FROM currency" in s for s in statements) == 1
    found = await ns_sandbox.erp.find_sales_order(ORDER.order_id)
    assert found is None
    prices = await ns_sandbox.erp.get_contract_prices("CUST-ACME")
    assert prices.prices == {"SKU-1001": Decimal("99.00")}
