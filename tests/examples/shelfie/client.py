"""``StockPort`` over Shelfie, a tiny shelf-stock API (docs/write-an-adapter.md's worked example)."""

from __future__ import annotations

import httpx

from shared.models import StockLevel
from shared.ops.probes import ProbeResult
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status
from tests.examples.shelfie.vendor_schemas import ShelfRows


def classify(response: httpx.Response) -> None:
    """Shelfie's answers in the hub's error tree: 429 a throttle (its Retry-After), 5xx unavailable,
    404 not found, any other 4xx permanent; its body's text never travels."""
    raise_for_vendor_status("shelfie", response)


class ShelfieStockAdapter:
    """One call for every SKU; a bin is a hub location (``bin_prefix`` + the bin)."""

    def __init__(self, http: VendorHttp, *, bin_prefix: str = "") -> None:
        self._http = http
        self._prefix = bin_prefix

    async def probe(self) -> ProbeResult:
        """Health (``system_apis.probing.Probe``): Shelfie's cheapest authenticated read."""
        return await self._http.probe("GET", "/api/ping")

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        if not skus:
            return []
        params = [("sku", sku) for sku in dict.fromkeys(skus)]
        body = await self._http.get_json(ShelfRows, "get_stock", "/api/stock", params=params)
        return [StockLevel(sku=row.sku, location=self._prefix + row.bin, on_hand=row.qty, available=row.qty,
                           sequence=row.rev, as_of=row.changed) for row in body.rows]
