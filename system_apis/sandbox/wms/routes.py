"""ShipWorks WMS over HTTP: its vendor API (``/sandbox/wms/api/v2``), ship and receive controls, spec.

A write answers 201 with the new record, or 200 with the first one when its
``order_ref`` (``rma_ref``) was seen before. ``POST .../fulfillment_requests/batch``
releases up to 100 orders in one request (``sandbox.bulk``), each as alone.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, delete, get, post
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.bulk import BulkIn, BulkOut, BulkRequest, run_bulk
from system_apis.sandbox.control_errors import ControlNotFound, decode_control
from system_apis.sandbox.wms.state import WmsBackend
from system_apis.sandbox.wms.schemas import (
    ExpectedReceipt,
    ExpectedReceiptIn,
    FulfilmentRequest,
    Inspection,
    InspectionIn,
    FulfilmentRequestIn,
    InventoryPage,
    PageMeta,
    ReceiveReturn,
    Shipment,
    ShipOrder,
    WmsErrorCode,
    WmsErrors,
    WmsInvalid,
    WmsNotFound,
    decode_wms,
)


@get("/inventory")
async def get_inventory(wms: WmsBackend, item_code: list[str] | None = Parameter(default=None)) -> InventoryPage:
    """Stock of the given items per warehouse; an unknown item has no rows."""
    records = [wms.record(row) for row in wms.ledger.rows(item_code)]
    return InventoryPage(data=records, meta=PageMeta(count=len(records)))


@post("/fulfillment_requests")
async def release(request: Request[Any, Any, Any], wms: WmsBackend) -> Response[FulfilmentRequest]:
    """Release an order to the warehouse, once per ``order_ref``; nothing is allocated yet."""
    record, created = wms.fulfilments.release(decode_wms(await request.body(), FulfilmentRequestIn))
    return Response(record, status_code=201 if created else 200)


@post("/fulfillment_requests/batch", status_code=200)
async def release_many(request: Request[Any, Any, Any], wms: WmsBackend) -> BulkOut:
    """Release up to 100 orders, each once per its ``order_ref``; one answer per request, in order
    (``sandbox.bulk``)."""
    bulk = decode_wms(await request.body(), BulkIn)

    def one(each: BulkRequest) -> Response[FulfilmentRequest]:
        record, created = wms.fulfilments.release(decode_wms(bytes(each.body), FulfilmentRequestIn))
        return Response(record, status_code=201 if created else 200)

    return run_bulk(bulk.requests, one, {WmsInvalid: invalid, WmsNotFound: not_found})


@post("/expected_receipts")
async def expect_receipt(request: Request[Any, Any, Any], wms: WmsBackend) -> Response[ExpectedReceipt]:
    """Expect a return, once per ``rma_ref``."""
    record, created = wms.receipts.expect(decode_wms(await request.body(), ExpectedReceiptIn))
    return Response(record, status_code=201 if created else 200)


@delete("/expected_receipts/{rma_ref:str}", status_code=200)
async def cancel_receipt(wms: WmsBackend, rma_ref: str) -> ExpectedReceipt:
    """Cancel an expected receipt (idempotent)."""
    return wms.receipts.cancel(rma_ref)


@post("/expected_receipts/{rma_ref:str}/cancel", status_code=200)
async def cancel_receipt_by_post(wms: WmsBackend, rma_ref: str) -> ExpectedReceipt:
    """The same cancel as ``DELETE``, for clients that only POST (idempotent)."""
    return wms.receipts.cancel(rma_ref)


@post("/expected_receipts/{rma_ref:str}/inspections")
async def inspect_receipt(request: Request[Any, Any, Any], wms: WmsBackend, rma_ref: str) -> Response[Inspection]:
    """An inspection result for quarantined units of a received return, once per ``Idempotency-Key``."""
    body = decode_wms(await request.body(), InspectionIn)
    record, created = wms.receipts.inspect(rma_ref, body, request.headers.get("Idempotency-Key") or None)
    return Response(record, status_code=201 if created else 200)


@post("/ship", status_code=200)
async def ship(request: Request[Any, Any, Any], wms: WmsBackend) -> Shipment:
    """Control: ship what was released for the order and confirm it; shipping again answers
    the first shipment and announces nothing."""
    body = decode_control(await request.body(), ShipOrder)
    try:
        return wms.fulfilments.ship(body.order_id, body.shipped_at)
    except WmsNotFound as exc:
        raise ControlNotFound(str(exc)) from exc


@post("/receive", status_code=200)
async def receive(request: Request[Any, Any, Any], wms: WmsBackend) -> ExpectedReceipt:
    """Control: receive an expected return; receiving it again changes nothing."""
    body = decode_control(await request.body(), ReceiveReturn)
    try:
        return wms.receipts.receive(body.rma_id)
    except WmsNotFound as exc:
        raise ControlNotFound(str(exc)) from exc


def not_found(_: Request[Any, Any, Any] | None, exc: WmsNotFound) -> Response[WmsErrors]:
    return Response(WmsErrors(errors=[WmsErrorCode(code="not_found", message=str(exc))]), status_code=404)


def invalid(_: Request[Any, Any, Any] | None, exc: WmsInvalid) -> Response[WmsErrors]:
    return Response(WmsErrors(errors=[WmsErrorCode(code="invalid_request", message=str(exc))]), status_code=400)


@get("/health")
async def health() -> dict[str, str]:
    """The connectivity check the hub's probe reads (faulted like every vendor call)."""
    return {"status": "ok"}

WMS = BackendSpec(
    name="wms",
    api_path="/api/v2",
    api_handlers=(get_inventory, health, release, release_many, expect_receipt, cancel_receipt, cancel_receipt_by_post, inspect_receipt),
    build=WmsBackend,
    throttle_body=WmsErrors(errors=[WmsErrorCode(code="rate_limited")]),
    control_handlers=(ship, receive),
    api_exception_handlers={WmsNotFound: not_found, WmsInvalid: invalid},
)
