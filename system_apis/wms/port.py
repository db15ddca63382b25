"""The stock port, served by the WMS (warehouses) and the POS (stores)."""

from __future__ import annotations

from typing import Protocol

from shared.models import StockLevel


class StockPort(Protocol):
    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        """Stock per (sku, location) for the given SKUs; a SKU the system does not hold has no rows."""
        ...
