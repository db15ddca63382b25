"""``StockPort`` over ShipWorks WMS (warehouse stock), and its throttle classifier."""

from __future__ import annotations

import httpx

from system_apis.stock_http import BatchStockAdapter
from system_apis.vendor_http import raise_for_vendor_status
from system_apis.wms import mapping
from system_apis.wms.vendor_schemas import WmsInventory


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 ``{"errors": [{"code": "rate_limited"}]}`` is a throttle."""
    raise_for_vendor_status("wms", response)


class WmsHttpAdapter(BatchStockAdapter[WmsInventory]):
    """ShipWorks WMS behind ``StockPort``; build its ``VendorHttp`` with ``classify`` above."""

    path = "/api/v2/inventory"
    probe_path = "/api/v2/health"
    sku_param = "item_code"
    schema = WmsInventory
    to_levels = staticmethod(mapping.to_stock_levels)
