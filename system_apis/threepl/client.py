"""``FulfilmentPort`` and ``StockPort`` over a 3PL shaped like ShipBob's public API, and its classifier.

Calls go to ``/{version}/...`` (``2026-01``); a Personal Access Token rides as
``Authorization: Bearer`` and writes name the sales channel in
``shipbob_channel_id`` (``auth_headers``). Creates are idempotent on the
merchant's ``reference_id``: the 3PL refuses a second order or return with
one it holds (422), and the adapter then answers the first. Shipments are
polled (``shipments``), and so are return receipts (``received_returns``: the return orders the
3PL has ``Completed``, by the RMA id as ``reference_id``); the hub's order id is the
order's ``reference_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
import msgspec

from shared.errors import BackendError, NotFound
from shared.models import (
    ExpectedReceipt, FulfilmentLine, FulfilmentRef, FulfilmentRequest, ReturnReceived, ShipmentConfirmed, StockLevel,
)
from shared.ops.probes import ProbeResult
from system_apis.threepl.vendor_schemas import (
    Address,
    ErrorBody,
    InventoryLevel,
    Location,
    Order,
    OrderBody,
    ProductLine,
    Recipient,
    ReturnBody,
    ReturnItem,
    ReturnOrder,
    Shipment,
)
from system_apis.vendor_http import VendorHttp, raise_vendor_error

BACKEND = "threepl"
VERSION = "2026-01"
SANDBOX_TOKEN, SANDBOX_CHANNEL = "threepl_sandbox_pat", "100100"
RATE_WINDOW = 60.0  # 150 requests a minute, sliding: a 429 without x-retry-after waits out the window
DUPLICATE = "422"
ACTIONS = {"restock": "Restock", "inspect": "Quarantine", "scrap": "Dispose"}


def auth_headers(token: str = SANDBOX_TOKEN, channel_id: str = SANDBOX_CHANNEL) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "shipbob_channel_id": channel_id, "Accept": "application/json"}


def classify(response: httpx.Response) -> None:
    """2xx fine; 429 throttled (``x-retry-after``, else ``Retry-After``, else the minute window);
    5xx unavailable; 404 not found; other (400, 401, 403, 422 duplicate) a permanent
    ``BackendError`` whose ``vendor_code`` is the status (ShipBob's bodies carry no codes)."""
    status = response.status_code
    if status < 300:
        return
    if status == 429 and "x-retry-after" in response.headers:
        response = httpx.Response(429, headers={"Retry-After": response.headers["x-retry-after"]},
                                  request=response.request)
    raise_vendor_error(BACKEND, response, str(status), throttled=status == 429, not_found=status == 404,
                       default_wait=RATE_WINDOW)


class ThreePlFulfilmentAdapter:
    """The 3PL behind ``FulfilmentPort`` (plus ``shipments``, polled); returns go to ``facility_id``."""

    def __init__(self, http: VendorHttp, *, facility_id: int = 228, version: str = VERSION) -> None:
        self._http = http
        self._facility = facility_id
        self._base = f"/{version}"

    async def probe(self) -> ProbeResult:
        """Health: ``GET /{version}/channel``, the channels the token may act for."""
        return await self._http.probe("GET", f"{self._base}/channel")

    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        if request.ship_to is None:
            raise BackendError("a 3PL order needs a ship-to address", backend=BACKEND)
        ship = request.ship_to
        body = OrderBody(reference_id=request.order_id, order_number=request.order_id,
                         recipient=Recipient(name=ship.name, address=Address(
                             address1=ship.line1, address2=ship.line2, city=ship.city, state=ship.region,
                             country=ship.country, zip_code=ship.postal_code)),
                         products=[ProductLine(reference_id=line.sku, quantity=line.quantity) for line in request.lines])
        order = await self._create("release", "order", body, request.order_id, Order)
        return FulfilmentRef(fulfilment_id=str(order.id))

    async def expect_receipt(self, receipt: ExpectedReceipt) -> None:
        """A return order at ``facility_id``; one cancelled before is not revived (``receipt_cancelled``)."""
        body = ReturnBody(reference_id=receipt.rma_id, original_order_reference_id=receipt.order_id,
                          fulfillment_center=Location(id=self._facility),
                          inventory=[ReturnItem(sku=line.sku, quantity=line.quantity,
                                                requested_action=ACTIONS.get(line.disposition, "Quarantine"))
                                     for line in receipt.lines])
        found = await self._create("expect_receipt", "return", body, receipt.rma_id, ReturnOrder)
        if found.status == "Cancelled":
            raise BackendError(f"expected receipt {receipt.rma_id} was cancelled", backend=BACKEND,
                               code="receipt_cancelled")

    async def cancel_receipt(self, rma_id: str) -> None:
        """Cancel the return order; one the 3PL never got, or cancelled, is left alone."""
        found = await self._by_reference("cancel_receipt", "return", rma_id, ReturnOrder)
        if found is None or found.status == "Cancelled":
            return
        await self._http.post("cancel_receipt", f"{self._base}/return/{found.id}/cancel", {},
                              idempotency_key=f"cancel-{rma_id}", span_attributes={"hub.rma_id": rma_id})

    async def record_inspection(self, rma_id: str, sku: str, quantity: int, result: str, idempotency_key: str) -> None:
        """A 3PL inspects returns itself (the return's ``requested_action``); the hub cannot record one."""
        raise BackendError("the 3PL inspects returns itself", backend=BACKEND, code="inspection_by_3pl")

    async def shipments(self, order_id: str) -> list[ShipmentConfirmed]:
        """The order's parcels that left (with tracking), for polling; none while the order is open."""
        order = await self._by_reference("shipments", "order", order_id, Order)
        if order is None:
            raise NotFound(f"the 3PL has no order {order_id}")
        found = await self._http.get_json(list[Shipment], "shipments", f"{self._base}/order/{order.id}/shipment",
                                          span_attributes={"hub.order_id": order_id})
        return [ShipmentConfirmed(
            shipment_id=str(s.id), order_id=order_id, carrier=s.tracking.carrier,
            tracking_number=s.tracking.tracking_number, shipped_at=s.tracking.shipping_date,
            lines=tuple(FulfilmentLine(sku=p.reference_id, quantity=sum(i.quantity for i in p.inventory_items))
                        for p in s.products)) for s in found if s.tracking is not None and s.status == "Completed"]

    async def received_returns(self, rma_ids: list[str]) -> list[ReturnReceived]:
        """What arrived of these returns, for polling: the ``Completed`` return orders among them,
        each item's units as the 3PL processed them (``action_taken``), by SKU."""
        wanted = list(dict.fromkeys(rma_ids))
        if not wanted:
            return []
        found = await self._http.get_json(list[ReturnOrder], "received_returns", f"{self._base}/return",
                                          params={"ReferenceIds": ",".join(wanted), "Status": "Completed"},
                                          span_attributes={"hub.rma_id": wanted})
        out = []
        for order in found:
            if order.status != "Completed" or order.reference_id not in wanted:
                continue
            units: dict[str, int] = {}
            for item in order.inventory:
                units[item.sku] = units.get(item.sku, 0) + sum(a.quantity_processed for a in item.action_taken)
            out.append(ReturnReceived(rma_id=order.reference_id, lines=tuple(
                FulfilmentLine(sku=sku, quantity=n) for sku, n in units.items())))
        return out

    async def _create(self, operation: str, resource: str, body: msgspec.Struct, key: str, kind: type) -> object:
        attrs = {"hub.reference_id": key}
        try:
            raw = await self._http.post(operation, f"{self._base}/{resource}", body, idempotency_key=key,
                                        span_attributes=attrs)
        except BackendError as exc:
            if exc.extra.get("vendor_code") != DUPLICATE:
                raise
            found = await self._by_reference(operation, resource, key, kind)
            if found is None:
                raise
            return found
        return self._http.decode(raw, kind)

    async def _by_reference(self, operation: str, resource: str, key: str, kind: type) -> object | None:
        found = await self._http.get_json(list[kind], operation, f"{self._base}/{resource}",  # type: ignore[valid-type]
                                          params={"ReferenceIds": key}, span_attributes={"hub.reference_id": key})
        return next((f for f in found if f.reference_id == key), None)


class ThreePlStockAdapter:
    """The 3PL behind ``StockPort``: on hand and fulfillable by fulfillment center, each center
    a hub location (``facilities``: 3PL location id -> hub location; others are not read)."""

    def __init__(self, http: VendorHttp, *, facilities: Mapping[int, str] | None = None, version: str = VERSION) -> None:
        self._http = http
        self._facilities = dict(facilities or {228: "3PL-MV"})
        self._base = f"/{version}"

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        unique = list(dict.fromkeys(skus))
        if not unique:
            return []
        levels = await self._http.get_json(list[InventoryLevel], "get_stock", f"{self._base}/inventory-level/locations",
                                           params={"SKUs": ",".join(unique)}, span_attributes={"hub.sku": unique})
        by_sku = {level.sku: level for level in levels}
        now = datetime.now(UTC)  # the 3PL stamps no change: a level is as of its read
        return [StockLevel(sku=sku, location=self._facilities[f.location_id], on_hand=f.on_hand_quantity,
                           available=f.fulfillable_quantity, sequence=int(now.timestamp() * 1_000_000), as_of=now)
                for sku in unique if sku in by_sku
                for f in sorted(by_sku[sku].locations, key=lambda f: self._facilities.get(f.location_id, ""))
                if f.location_id in self._facilities]


__all__ = ["ErrorBody", "ThreePlFulfilmentAdapter", "ThreePlStockAdapter", "auth_headers", "classify"]
