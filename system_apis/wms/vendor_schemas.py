"""ShipWorks WMS JSON, exactly as docs/vendors/shipworks.md gives it (snake_case)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class WmsStockRow(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    warehouse_id: str
    on_hand: int
    allocated: int = 0
    available: int
    sequence: int = 0
    updated_at: datetime | None = None


class WmsMeta(msgspec.Struct, frozen=True, kw_only=True):
    count: int


class WmsInventory(msgspec.Struct, frozen=True, kw_only=True):
    """``GET /api/v2/inventory``; an item the WMS does not know gives no rows."""

    data: list[WmsStockRow]
    meta: WmsMeta | None = None


# --- fulfilment and returns: what the hub sends and reads back ----------------------


class WmsOut(msgspec.Struct, frozen=True, kw_only=True):
    """Base of request bodies: every field sent."""


class WmsAddressOut(WmsOut):
    name: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    country_code: str


class WmsItemLine(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    quantity: int


class WmsFulfilmentBody(WmsOut):
    """``POST /api/v2/fulfillment_requests`` (idempotent on ``order_ref``)."""

    order_ref: str
    lines: list[WmsItemLine]
    ship_to: WmsAddressOut | None


class WmsReceiptLine(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    quantity: int
    disposition: str


class WmsExpectedReceiptBody(WmsOut):
    """``POST /api/v2/expected_receipts`` (idempotent on ``rma_ref``)."""

    rma_ref: str
    order_ref: str
    lines: list[WmsReceiptLine]


class WmsInspectionBody(WmsOut):
    """``POST /api/v2/expected_receipts/{rma_ref}/inspections`` (idempotent on ``Idempotency-Key``)."""

    item_code: str
    quantity: int
    result: str


class WmsFulfilmentRequest(msgspec.Struct, frozen=True, kw_only=True):
    request_id: str
    order_ref: str
    status: str


class WmsExpectedReceipt(msgspec.Struct, frozen=True, kw_only=True):
    receipt_id: str
    rma_ref: str
    status: str
    """``expected``, ``cancelled`` or ``received``."""


# --- announcements (POST /hooks/wms), told apart by ``event_type`` -----------------


class WmsAdjusted(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    warehouse_id: str
    on_hand: int
    available: int
    sequence: int


class WmsShipment(msgspec.Struct, frozen=True, kw_only=True):
    order_ref: str
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: list[WmsItemLine]


class WmsReturn(msgspec.Struct, frozen=True, kw_only=True):
    rma_ref: str
    lines: list[WmsReceiptLine]
    order_ref: str | None = None


class WmsInventoryAdjusted(msgspec.Struct, frozen=True, kw_only=True, tag_field="event_type", tag="inventory.adjusted"):
    payload: WmsAdjusted


class WmsShipmentConfirmed(msgspec.Struct, frozen=True, kw_only=True, tag_field="event_type", tag="shipment.confirmed"):
    payload: WmsShipment


class WmsReturnReceived(msgspec.Struct, frozen=True, kw_only=True, tag_field="event_type", tag="return.received"):
    payload: WmsReturn


WmsEvent = WmsInventoryAdjusted | WmsShipmentConfirmed | WmsReturnReceived
