"""The 3PL adapter (ShipBob-shaped): its wire, the 422 duplicate path, polled shipments with
tracking, polled return receipts, the refused inspection, stock by fulfillment center, and ``classify``."""

from __future__ import annotations

import json

import httpx
import msgspec
import pytest

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from system_apis.threepl import client as tpl
from tests.system_apis.contracts.harness import UnderTest
from tests.system_apis.contracts.test_fulfilment_port import RECEIPT, REQUEST


@pytest.fixture
async def tpl_sandbox():
    under_test = UnderTest("threepl", "fulfilment")
    yield under_test
    await under_test.aclose()


async def test_a_release_is_an_order_with_the_hub_s_reference_and_the_channel_header(tpl_sandbox: UnderTest) -> None:
    await tpl_sandbox.port.release(REQUEST)

    (sent,) = tpl_sandbox.transport.posts()
    assert sent.url.path == "/sandbox/threepl/2026-01/order"
    assert sent.headers["shipbob_channel_id"] == tpl.SANDBOX_CHANNEL
    body = json.loads(sent.content)
    assert (body["reference_id"], body["products"]) == (REQUEST.order_id, [{"reference_id": "SKU-1001", "quantity": 2}])
    assert body["recipient"]["address"]["zip_code"] == "62701"


async def test_a_second_release_meets_the_422_and_answers_the_first_order(tpl_sandbox: UnderTest) -> None:
    first = await tpl_sandbox.port.release(REQUEST)
    tpl_sandbox.transport.sent.clear()

    assert await tpl_sandbox.port.release(REQUEST) == first
    assert [(r.method, r.url.path.rsplit("/", 1)[-1]) for r in tpl_sandbox.transport.sent] == [
        ("POST", "order"), ("GET", "order")]


async def test_an_order_without_a_ship_to_is_refused_before_any_call(tpl_sandbox: UnderTest) -> None:
    with pytest.raises(BackendError):
        await tpl_sandbox.port.release(msgspec.structs.replace(REQUEST, ship_to=None))
    assert tpl_sandbox.transport.sent == []


async def test_shipments_are_polled_and_carry_tracking_once_shipped(tpl_sandbox: UnderTest) -> None:
    await tpl_sandbox.port.release(REQUEST)
    assert await tpl_sandbox.port.shipments(REQUEST.order_id) == []

    (await tpl_sandbox.control.post("/sandbox/threepl/ship", json={"order_id": REQUEST.order_id})).raise_for_status()

    (shipped,) = await tpl_sandbox.port.shipments(REQUEST.order_id)
    assert (shipped.order_id, shipped.carrier) == (REQUEST.order_id, "USPS")
    assert shipped.tracking_number.startswith("9400") and shipped.shipped_at.tzinfo is not None
    assert [(line.sku, line.quantity) for line in shipped.lines] == [("SKU-1001", 2)]
    with pytest.raises(NotFound):
        await tpl_sandbox.port.shipments("ord_unknown")


async def test_an_order_commits_stock_and_shipping_takes_it_off_hand(tpl_sandbox: UnderTest) -> None:
    stock = tpl.ThreePlStockAdapter(tpl_sandbox.port._http)
    await tpl_sandbox.port.release(REQUEST)
    (committed,) = await stock.get_stock(["SKU-1001"])
    assert (committed.location, committed.on_hand, committed.available) == ("3PL-MV", 25, 23)
    await tpl_sandbox.control.post("/sandbox/threepl/ship", json={"order_id": REQUEST.order_id})
    (shipped,) = await stock.get_stock(["SKU-1001"])
    assert (shipped.on_hand, shipped.available) == (23, 23)


async def test_returns_carry_the_requested_action_and_inspections_are_the_3pl_s(tpl_sandbox: UnderTest) -> None:
    await tpl_sandbox.port.expect_receipt(RECEIPT)
    body = json.loads(tpl_sandbox.transport.posts()[0].content)
    assert body["inventory"] == [{"sku": "SKU-1001", "quantity": 1, "requested_action": "Restock"}]
    with pytest.raises(BackendError) as caught:
        await tpl_sandbox.port.record_inspection(RECEIPT.rma_id, "SKU-1001", 1, "restock", "k1")
    assert caught.value.code == "inspection_by_3pl"


async def test_return_receipts_are_polled_once_the_3pl_completed_the_return(tpl_sandbox: UnderTest) -> None:
    await tpl_sandbox.port.expect_receipt(RECEIPT)
    assert await tpl_sandbox.port.received_returns([RECEIPT.rma_id, "rma_unknown"]) == [], "awaiting arrival"
    (asked,) = [r for r in tpl_sandbox.transport.sent if r.method == "GET" and "Status" in r.url.params]
    assert (asked.url.path, asked.url.params["ReferenceIds"], asked.url.params["Status"]) == (
        "/sandbox/threepl/2026-01/return", f"{RECEIPT.rma_id},rma_unknown", "Completed")

    received = await tpl_sandbox.control.post("/sandbox/threepl/receive", json={"rma_id": RECEIPT.rma_id})
    assert received.status_code == 200, received.text
    assert received.json()["inventory"][0]["action_taken"] == [{"action": "Restock", "quantity_processed": 1}]
    (receipt,) = await tpl_sandbox.port.received_returns([RECEIPT.rma_id])
    assert (receipt.rma_id, [(l.sku, l.quantity) for l in receipt.lines]) == (RECEIPT.rma_id, [("SKU-1001", 1)])
    assert await tpl_sandbox.port.received_returns([]) == []
    stock = tpl.ThreePlStockAdapter(tpl_sandbox.port._http)
    assert [s.on_hand for s in await stock.get_stock(["SKU-1001"])] == [26], "Restock units are back on hand"


async def test_the_receive_control_refuses_an_unknown_or_cancelled_return(tpl_sandbox: UnderTest) -> None:
    assert (await tpl_sandbox.control.post("/sandbox/threepl/receive", json={"rma_id": "nope"})).status_code == 404
    await tpl_sandbox.port.expect_receipt(RECEIPT)
    await tpl_sandbox.port.cancel_receipt(RECEIPT.rma_id)
    refused = await tpl_sandbox.control.post("/sandbox/threepl/receive", json={"rma_id": RECEIPT.rma_id})
    assert refused.status_code == 422, refused.text
    bad = await tpl_sandbox.control.post("/sandbox/threepl/receive", json={"rma_id": "nope", "lines": [
        {"sku": "SKU-1001", "quantity": -1}]})
    assert bad.status_code == 422, bad.text


async def test_a_partial_receipt_reports_only_the_units_processed(tpl_sandbox: UnderTest) -> None:
    await tpl_sandbox.port.expect_receipt(RECEIPT)
    received = await tpl_sandbox.control.post("/sandbox/threepl/receive", json={"rma_id": RECEIPT.rma_id, "lines": [
        {"sku": "SKU-1003", "quantity": 1}]})
    assert received.status_code == 200, received.text
    (receipt,) = await tpl_sandbox.port.received_returns([RECEIPT.rma_id])
    assert [(l.sku, l.quantity) for l in receipt.lines] == [("SKU-1001", 0)], "nothing of SKU-1001 arrived"


def _answer(status: int, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"statusCode": status, "message": "Vendor message"}, headers=headers,
                          request=httpx.Request("GET", "http://3pl.test/"))


@pytest.mark.parametrize(("answer", "wait"), [
    (_answer(429, {"x-retry-after": "25"}), 25.0), (_answer(429, {"Retry-After": "3"}), 3.0),
    (_answer(429), tpl.RATE_WINDOW)], ids=["x-retry-after", "retry-after", "none"])
def test_a_429_waits_for_x_retry_after_first(answer: httpx.Response, wait: float) -> None:
    with pytest.raises(BackendThrottled) as caught:
        tpl.classify(answer)
    assert caught.value.retry_after == wait


@pytest.mark.parametrize(("status", "error"), [(500, BackendUnavailable), (404, NotFound), (422, BackendError),
                                               (400, BackendError), (401, BackendError), (403, BackendError)])
def test_classify_other_answers(status: int, error: type) -> None:
    with pytest.raises(error) as caught:
        tpl.classify(_answer(status))
    if error is BackendError:
        assert not isinstance(caught.value, BackendUnavailable)
        assert caught.value.extra["vendor_code"] == str(status)
        assert "Vendor message" not in f"{caught.value} {caught.value.detail} {caught.value.extra}"
