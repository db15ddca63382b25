"""StoreLink POS JSON, exactly as docs/vendors/storelink.md gives it (camelCase)."""

from __future__ import annotations

from datetime import datetime

import msgspec


class PosStockLevel(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    store_code: str
    product_sku: str
    quantity: int
    seq: int = 0
    last_changed: datetime | None = None


class PosStockLevels(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """``GET /v1/stores/inventory``."""

    stock_levels: list[PosStockLevel]
