"""ShipWorks WMS -> canonical: pure functions, no I/O."""

from __future__ import annotations

from shared.models import StockLevel
from system_apis.wms.vendor_schemas import WmsInventory, WmsStockRow


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
