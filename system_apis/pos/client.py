"""``StockPort`` over StoreLink POS (store stock), and its throttle classifier."""

from __future__ import annotations

import httpx

from system_apis.pos import mapping
from system_apis.pos.vendor_schemas import PosStockLevels
from system_apis.stock_http import BatchStockAdapter
from system_apis.vendor_http import raise_for_vendor_status


def classify(response: httpx.Response) -> None:
    """The shared mapping: 429 ``{"message": "Too Many Requests"}`` is a throttle."""
    raise_for_vendor_status("pos", response)


class PosHttpAdapter(BatchStockAdapter[PosStockLevels]):
    """StoreLink POS behind ``StockPort``; build its ``VendorHttp`` with ``classify`` above."""

    path = "/v1/stores/inventory"
    probe_path = "/v1/health"
    sku_param = "productSku"
    schema = PosStockLevels
    to_levels = staticmethod(mapping.to_stock_levels)
