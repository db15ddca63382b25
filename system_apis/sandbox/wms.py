"""ShipWorks WMS: warehouse (``DC-*``) stock, vendor API at ``/sandbox/wms/api/v2``."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.events import new_event_id
from system_apis.sandbox.stock import LedgerBackend, StockRow


class InventoryRecord(msgspec.Struct, frozen=True, kw_only=True):
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


class WmsErrorCode(msgspec.Struct, frozen=True):
    code: str


class WmsErrors(msgspec.Struct, frozen=True):
    errors: list[WmsErrorCode]


class AdjustedPayload(msgspec.Struct, frozen=True, kw_only=True):
    item_code: str
    warehouse_id: str
    on_hand: int
    available: int
    sequence: int


class WmsEvent(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    event_type: str
    occurred_at: str
    payload: AdjustedPayload


class WmsBackend(LedgerBackend):
    """The WMS's warehouse stock; announces ``inventory.adjusted``."""

    name = "wms"
    location_prefix = "DC-"

    def record(self, row: StockRow) -> InventoryRecord:
        return InventoryRecord(
            item_code=row.sku,
            warehouse_id=row.location,
            on_hand=row.on_hand,
            allocated=row.allocated,
            available=row.available,
            sequence=row.sequence,
            updated_at=row.updated_at,
        )

    def event(self, row: StockRow) -> WmsEvent:
        payload = AdjustedPayload(
            item_code=row.sku,
            warehouse_id=row.location,
            on_hand=row.on_hand,
            available=row.available,
            sequence=row.sequence,
        )
        return WmsEvent(
            event_id=new_event_id(self.name),
            event_type="inventory.adjusted",
            occurred_at=row.updated_at,
            payload=payload,
        )


@get("/inventory")
async def get_inventory(wms: WmsBackend, item_code: list[str] | None = Parameter(default=None)) -> InventoryPage:
    """Stock of the given items per warehouse; an unknown item has no rows."""
    records = [wms.record(row) for row in wms.ledger.rows(item_code)]
    return InventoryPage(data=records, meta=PageMeta(count=len(records)))


WMS = BackendSpec(
    name="wms",
    api_path="/api/v2",
    api_handlers=(get_inventory,),
    build=WmsBackend,
    throttle_body=WmsErrors(errors=[WmsErrorCode(code="rate_limited")]),
)
