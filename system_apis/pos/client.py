"""``StockPort`` over StoreLink POS (store stock), and its throttle classifier."""

from __future__ import annotations

import httpx

from shared.models import StockLevel
from system_apis.pos import mapping
from system_apis.pos.vendor_schemas import PosStockLevels
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 ``{"message": "Too Many Requests"}`` is a throttle."""
    raise_for_vendor_status("pos", response)


class PosHttpAdapter:
    """StoreLink POS behind ``StockPort``; build its ``VendorHttp`` with ``classify`` above."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        """All SKUs in one call, as repeated ``productSku`` parameters."""
        if not skus:
            return []
        unique = list(dict.fromkeys(skus))
        levels = await self._http.get_json(
            PosStockLevels,
            "get_stock",
            "/v1/stores/inventory",
            params=[("productSku", sku) for sku in unique],
            span_attributes={"hub.sku": unique},
        )
        return mapping.to_stock_levels(levels)
