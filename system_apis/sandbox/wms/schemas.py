"""ShipWorks WMS wire shapes (snake_case): stock, fulfilment requests, expected receipts, events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, TypeVar

import msgspec

from shared.jsonbody import MalformedJson, decode_json

T = TypeVar("T")
Ref = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
Disposition = Literal["restock", "inspect", "scrap"]


class WmsModel(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every ShipWorks payload."""


# --- stock -----------------------------------------------------------------------


class InventoryRecord(WmsModel):
    item_code: str
    warehouse_id: str
    on_hand: int
    allocated: int
    available: int
    sequence: int
    updated_at: str


class PageMeta(msgspec.Struct, frozen=True):
    count: int


class InventoryPage(msgspec.Struct, frozen=True):
    data: list[InventoryRecord]
    meta: PageMeta


# --- errors ----------------------------------------------------------------------


class WmsErrorCode(msgspec.Struct, frozen=True, omit_defaults=True):
    code: str
    message: str | None = None


class WmsErrors(msgspec.Struct, frozen=True):
    """``{"errors": [{"code": "rate_limited" | "not_found" | "invalid_request", "message"?}]}``."""

    errors: list[WmsErrorCode]


class WmsNotFound(Exception):
    """404 ``{"errors": [{"code": "not_found", ...}]}``."""


class WmsInvalid(Exception):
    """400 ``{"errors": [{"code": "invalid_request", ...}]}``."""


def decode_wms(body: bytes, type_: type[T]) -> T:
    """A request body as ShipWorks reads it; anything else is ``WmsInvalid``."""
    try:
        return decode_json(body, type_)
    except (msgspec.ValidationError, MalformedJson) as exc:
        raise WmsInvalid(str(exc)) from exc


# --- fulfilment requests and shipments ---------------------------------------------


class WmsAddress(WmsModel):
    name: str
    address_line1: str
    city: str
    postal_code: str
    country_code: str
    address_line2: str = ""
    state: str = ""


class ItemLine(WmsModel, forbid_unknown_fields=True):
    item_code: Ref
    quantity: Quantity


class FulfilmentRequestIn(WmsModel, forbid_unknown_fields=True):
    """The body of ``POST /api/v2/fulfillment_requests``."""

    order_ref: Ref
    lines: Annotated[tuple[ItemLine, ...], msgspec.Meta(min_length=1, max_length=500)]
    ship_to: WmsAddress | None = None


class FulfilmentRequest(WmsModel):
    request_id: str
    order_ref: str
    status: Literal["released", "shipped"]
    lines: tuple[ItemLine, ...]
    ship_to: WmsAddress | None
    created_at: str
    shipment_id: str | None = None


class Shipment(WmsModel):
    """What ``POST /sandbox/wms/ship`` answers, and the ``shipment.confirmed`` payload."""

    order_ref: str
    shipment_id: str
    carrier: str
    tracking_number: str
    shipped_at: str
    lines: tuple[ItemLine, ...]


class ShipOrder(WmsModel, forbid_unknown_fields=True):
    """The body of the control ``POST /sandbox/wms/ship``."""

    order_id: Annotated[str, msgspec.Meta(min_length=1)]
    shipped_at: datetime | None = None


# --- expected receipts (returns) -----------------------------------------------------


class ReceiptLine(WmsModel, forbid_unknown_fields=True):
    item_code: Ref
    quantity: Quantity
    disposition: Disposition


class ExpectedReceiptIn(WmsModel, forbid_unknown_fields=True):
    """The body of ``POST /api/v2/expected_receipts``."""

    rma_ref: Ref
    order_ref: Ref
    lines: Annotated[tuple[ReceiptLine, ...], msgspec.Meta(min_length=1, max_length=500)]


class ExpectedReceipt(WmsModel):
    receipt_id: str
    rma_ref: str
    order_ref: str
    status: Literal["expected", "cancelled", "received"]
    lines: tuple[ReceiptLine, ...]
    created_at: str
    received_at: str | None = None


class InspectionIn(WmsModel, forbid_unknown_fields=True):
    """The body of ``POST /api/v2/expected_receipts/{rma_ref}/inspections``."""

    item_code: Ref
    quantity: Quantity
    result: Literal["restock", "scrap"]


class Inspection(WmsModel):
    inspection_id: str
    rma_ref: str
    item_code: str
    quantity: int
    result: Literal["restock", "scrap"]
    created_at: str


class ReceiveReturn(WmsModel, forbid_unknown_fields=True):
    """The body of the control ``POST /sandbox/wms/receive``."""

    rma_id: Annotated[str, msgspec.Meta(min_length=1)]


# --- events ----------------------------------------------------------------------


class AdjustedPayload(WmsModel):
    item_code: str
    warehouse_id: str
    on_hand: int
    available: int
    sequence: int


class ReturnPayload(WmsModel):
    rma_ref: str
    order_ref: str
    lines: tuple[ReceiptLine, ...]


class InventoryAdjusted(WmsModel, kw_only=True):
    event_id: str
    event_type: Literal["inventory.adjusted"] = "inventory.adjusted"
    occurred_at: str
    payload: AdjustedPayload


class ShipmentConfirmed(WmsModel, kw_only=True):
    event_id: str
    event_type: Literal["shipment.confirmed"] = "shipment.confirmed"
    occurred_at: str
    payload: Shipment


class ReturnReceived(WmsModel, kw_only=True):
    event_id: str
    event_type: Literal["return.received"] = "return.received"
    occurred_at: str
    payload: ReturnPayload
