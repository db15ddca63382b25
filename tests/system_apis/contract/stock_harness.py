"""Every ``StockPort`` adapter wired to its own sandbox backend (through ``ErpUnderTest``'s wiring).

A ``StockKind`` says how one vendor is wired, what its sandbox holds at the
seed (``seeded``: sku, location, on hand, available; in SKU then location order)
and how a count is changed there (``set_count``, a sandbox control).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from system_apis.counterpoint import client as counterpoint
from system_apis.pos import client as pos
from system_apis.threepl import client as threepl
from system_apis.wms import client as wms

Count = Callable[[httpx.AsyncClient, str, str, int], Awaitable[httpx.Response]]


async def _shared_stock_control(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.post("/sandbox/wms/stock", json={"sku": sku, "location": location, "on_hand": on_hand})


async def _counterpoint_count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.put(f"/sandbox/counterpoint/inventory/{location.removeprefix('STORE-')}/{sku}",
                             json={"on_hand": on_hand})


async def _threepl_count(control: httpx.AsyncClient, sku: str, location: str, on_hand: int) -> httpx.Response:
    return await control.put(f"/sandbox/threepl/inventory/{sku}", json={"on_hand": on_hand})


@dataclass(frozen=True)
class StockKind:
    name: str
    backend: str
    classify: Callable[[httpx.Response], None]
    make: Callable[[Any], Any]
    seeded: tuple[tuple[str, str, int, int], ...]
    location: str
    set_count: Count
    headers: dict[str, str] = field(default_factory=dict)


STORE = (("SKU-1002", "STORE-NYC", 3, 3),)
STOCK_KINDS = (
    StockKind(name="wms", backend="wms", classify=wms.classify, make=wms.WmsHttpAdapter,
              seeded=(("SKU-1001", "DC-EAST", 40, 40), ("SKU-1001", "DC-WEST", 10, 10), ("SKU-1002", "DC-WEST", 5, 5),
                      ("SKU-1003", "DC-EAST", 500, 500)),
              location="DC-WEST", set_count=_shared_stock_control),
    StockKind(name="storelink_pos", backend="pos", classify=pos.classify, make=pos.PosHttpAdapter, seeded=STORE,
              location="STORE-NYC", set_count=_shared_stock_control),
    StockKind(name="counterpoint", backend="counterpoint", classify=counterpoint.classify,
              make=counterpoint.CounterpointStockAdapter, seeded=STORE, location="STORE-NYC",
              set_count=_counterpoint_count, headers=counterpoint.auth_headers()),
    StockKind(name="threepl", backend="threepl", classify=threepl.classify, make=threepl.ThreePlStockAdapter,
              seeded=(("SKU-1001", "3PL-MV", 25, 25), ("SKU-1003", "3PL-MV", 120, 120)), location="3PL-MV",
              set_count=_threepl_count, headers=threepl.auth_headers()),
)
