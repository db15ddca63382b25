"""``StockPort`` over ShipWorks WMS (warehouse stock), and its throttle classifier."""

from __future__ import annotations

import httpx

from shared.models import StockLevel
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status
from system_apis.wms import mapping
from system_apis.wms.vendor_schemas import WmsInventory


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 ``{"errors": [{"code": "rate_limited"}]}`` is a throttle."""
    raise_for_vendor_status("wms", response)


class WmsHttpAdapter:
    """ShipWorks WMS behind ``StockPort``; build its ``VendorHttp`` with ``classify`` above."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        """All SKUs in one call, as repeated ``item_code`` parameters."""
        if not skus:
            return []
        unique = list(dict.fromkeys(skus))
        inventory = await self._http.get_json(
            WmsInventory,
            "get_stock",
            "/api/v2/inventory",
            params=[("item_code", sku) for sku in unique],
            span_attributes={"hub.sku": unique},
        )
        return mapping.to_stock_levels(inventory)
