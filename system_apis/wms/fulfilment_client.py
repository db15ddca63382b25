"""``FulfilmentPort`` over ShipWorks WMS: releasing orders and expecting returns.

Shares the WMS's ``VendorHttp`` (and so its guard and throttle classifier,
``wms.client.classify``). Every POST carries an idempotency key, so the
guard may retry it: the order id for a release, the RMA id for a receipt.
"""

from __future__ import annotations

from urllib.parse import quote

from shared.errors import BackendError, NotFound
from shared.models import ExpectedReceipt, FulfilmentRef, FulfilmentRequest
from system_apis.vendor_batch import VendorBatch
from system_apis.vendor_http import VendorHttp
from system_apis.wms import mapping
from system_apis.wms.vendor_schemas import WmsExpectedReceipt, WmsFulfilmentRequest, WmsInspectionBody


class WmsFulfilmentAdapter:
    """ShipWorks WMS behind ``FulfilmentPort``."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http
        self._releases = VendorBatch(
            http, "release_many", "/api/v2/fulfillment_requests/batch", single=self._release,
            body=mapping.to_fulfilment_body, key=lambda request: request.order_id,
            answer=self._fulfilment_ref, span_keys="hub.order_ids")

    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        """Idempotent on the order id (the WMS's ``order_ref``); the WMS confirms shipments by event.
        Releases made at the same moment go together as one ``fulfillment_requests/batch``
        (``vendor_batch``)."""
        return await self._releases.call(request)

    async def _release(self, request: FulfilmentRequest) -> FulfilmentRef:
        body = await self._http.post(
            "release",
            "/api/v2/fulfillment_requests",
            mapping.to_fulfilment_body(request),
            idempotency_key=request.order_id,
            span_attributes={"hub.order_id": request.order_id},
        )
        return self._fulfilment_ref(body)

    def _fulfilment_ref(self, body: bytes) -> FulfilmentRef:
        return mapping.to_fulfilment_ref(self._http.decode(body, WmsFulfilmentRequest))

    async def expect_receipt(self, receipt: ExpectedReceipt) -> None:
        """Idempotent on the RMA id. A receipt cancelled before (a compensated return) is not
        revived: ``BackendError(code="receipt_cancelled")``."""
        body = await self._http.post(
            "expect_receipt",
            "/api/v2/expected_receipts",
            mapping.to_receipt_body(receipt),
            idempotency_key=receipt.rma_id,
            span_attributes={"hub.rma_id": receipt.rma_id, "hub.order_id": receipt.order_id},
        )
        if self._http.decode(body, WmsExpectedReceipt).status == "cancelled":
            raise BackendError(f"expected receipt {receipt.rma_id} was cancelled", backend="wms", code="receipt_cancelled")

    async def cancel_receipt(self, rma_id: str) -> None:
        """Cancel (the compensation); cancelling twice, or a receipt the WMS never got, is a no-op.

        Sent as ``POST .../{rma_ref}/cancel`` (the WMS's alias of ``DELETE``): ``VendorHttp`` has
        no DELETE, and a POST with an idempotency key is retried by the guard."""
        try:
            await self._http.post(
                "cancel_receipt",
                f"/api/v2/expected_receipts/{quote(rma_id, safe='')}/cancel",
                {},
                idempotency_key=f"cancel-{rma_id}",
                span_attributes={"hub.rma_id": rma_id},
            )
        except NotFound:
            return

    async def record_inspection(self, rma_id: str, sku: str, quantity: int, result: str, idempotency_key: str) -> None:
        """Retried by the guard with the same key; the WMS restocks (and announces) at most once."""
        await self._http.post(
            "record_inspection",
            f"/api/v2/expected_receipts/{quote(rma_id, safe='')}/inspections",
            WmsInspectionBody(item_code=sku, quantity=quantity, result=result),
            idempotency_key=idempotency_key,
            span_attributes={"hub.rma_id": rma_id, "hub.sku": sku},
        )
