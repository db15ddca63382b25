"""``StockPort`` over a vendor GET that takes every SKU as one repeated query parameter.

The WMS and the POS answer stock the same way and differ only in data: the
path, the parameter name, the body's Struct and its mapping. Each adapter is
a subclass that fills those in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Generic, TypeVar

from shared.models import StockLevel
from shared.ops.probes import ProbeResult
from system_apis.vendor_http import VendorHttp

Body = TypeVar("Body")


class BatchStockAdapter(Generic[Body]):
    path: ClassVar[str]
    sku_param: ClassVar[str]
    schema: ClassVar[type]
    to_levels: ClassVar[Callable[[Body], list[StockLevel]]]
    probe_path: ClassVar[str]
    """The vendor's connectivity check, a ``GET`` (``system_apis.probing.Probe``)."""

    def __init__(self, http: VendorHttp) -> None:
        self._http = http

    async def probe(self) -> ProbeResult:
        return await self._http.probe("GET", self.probe_path)

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        """All SKUs in one call (duplicates dropped); no SKUs, no call."""
        if not skus:
            return []
        unique = list(dict.fromkeys(skus))
        body = await self._http.get_json(
            self.schema,
            "get_stock",
            self.path,
            params=[(self.sku_param, sku) for sku in unique],
            span_attributes={"hub.sku": unique},
        )
        return self.to_levels(body)
