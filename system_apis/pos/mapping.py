"""StoreLink POS -> canonical: pure functions, no I/O."""

from __future__ import annotations

from shared.models import StockLevel
from system_apis.pos.vendor_schemas import PosStockLevel, PosStockLevels


def to_stock_level(level: PosStockLevel) -> StockLevel:
    """A store sells from the shelf: the POS holds no allocation, so available is on hand."""
    return StockLevel(
        sku=level.product_sku,
        location=level.store_code,
        on_hand=level.quantity,
        available=level.quantity,
        sequence=level.seq,
        as_of=level.last_changed,
    )


def to_stock_levels(levels: PosStockLevels) -> list[StockLevel]:
    return [to_stock_level(level) for level in levels.stock_levels]
