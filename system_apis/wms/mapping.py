"""ShipWorks WMS <-> canonical: pure functions, no I/O."""

from __future__ import annotations

from shared.models import (
    Address,
    ExpectedReceipt,
    FulfilmentLine,
    FulfilmentRef,
    FulfilmentRequest,
    ReturnReceived,
    ShipmentConfirmed,
    StockChanged,
    StockLevel,
)
from system_apis.wms.vendor_schemas import (
    WmsAddressOut,
    WmsEvent,
    WmsExpectedReceiptBody,
    WmsFulfilmentBody,
    WmsFulfilmentRequest,
    WmsInventory,
    WmsInventoryAdjusted,
    WmsItemLine,
    WmsReceiptLine,
    WmsShipmentConfirmed,
    WmsStockRow,
)


def to_stock_level(row: WmsStockRow) -> StockLevel:
    return StockLevel(
        sku=row.item_code,
        location=row.warehouse_id,
        on_hand=row.on_hand,
        available=row.available,
        sequence=row.sequence,
        as_of=row.updated_at,
    )


def to_stock_levels(inventory: WmsInventory) -> list[StockLevel]:
    return [to_stock_level(row) for row in inventory.data]


def _address(address: Address | None) -> WmsAddressOut | None:
    if address is None:
        return None
    return WmsAddressOut(
        name=address.name,
        address_line1=address.line1,
        address_line2=address.line2,
        city=address.city,
        state=address.region,
        postal_code=address.postal_code,
        country_code=address.country,
    )


def to_fulfilment_body(request: FulfilmentRequest) -> WmsFulfilmentBody:
    """The hub's order id is the WMS's ``order_ref``."""
    return WmsFulfilmentBody(
        order_ref=request.order_id,
        lines=[WmsItemLine(item_code=line.sku, quantity=line.quantity) for line in request.lines],
        ship_to=_address(request.ship_to),
    )


def to_receipt_body(receipt: ExpectedReceipt) -> WmsExpectedReceiptBody:
    """The RMA id is the WMS's ``rma_ref``."""
    return WmsExpectedReceiptBody(
        rma_ref=receipt.rma_id,
        order_ref=receipt.order_id,
        lines=[
            WmsReceiptLine(item_code=line.sku, quantity=line.quantity, disposition=line.disposition)
            for line in receipt.lines
        ],
    )


def to_fulfilment_ref(request: WmsFulfilmentRequest) -> FulfilmentRef:
    return FulfilmentRef(fulfilment_id=request.request_id)


def to_event(event: WmsEvent) -> StockChanged | ShipmentConfirmed | ReturnReceived:
    """An announcement in canonical terms (see ``wms.events``)."""
    if isinstance(event, WmsInventoryAdjusted):
        p = event.payload
        return StockChanged(
            sku=p.item_code, location=p.warehouse_id, on_hand=p.on_hand, available=p.available, sequence=p.sequence
        )
    if isinstance(event, WmsShipmentConfirmed):
        s = event.payload
        return ShipmentConfirmed(
            shipment_id=s.shipment_id,
            order_id=s.order_ref,
            carrier=s.carrier,
            tracking_number=s.tracking_number,
            shipped_at=s.shipped_at,
            lines=tuple(FulfilmentLine(sku=line.item_code, quantity=line.quantity) for line in s.lines),
        )
    r = event.payload
    return ReturnReceived(
        rma_id=r.rma_ref, lines=tuple(FulfilmentLine(sku=line.item_code, quantity=line.quantity) for line in r.lines)
    )
