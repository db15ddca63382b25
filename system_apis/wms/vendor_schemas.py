"""ShipWorks WMS JSON, exactly as docs/vendors.md gives it (snake_case)."""

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
