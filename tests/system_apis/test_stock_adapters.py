"""``WmsHttpAdapter`` and ``PosHttpAdapter``: one call per batch of SKUs, mapped to StockLevel."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from shared.errors import BackendThrottled
from shared.models import StockLevel
from system_apis.pos import client as pos
from system_apis.wms import client as wms

AT = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def wms_row(sku: str, warehouse: str, on_hand: int, available: int) -> dict:
    return {"item_code": sku, "warehouse_id": warehouse, "on_hand": on_hand, "allocated": on_hand - available,
            "available": available, "sequence": 4, "updated_at": "2026-11-22T10:00:00Z"}


async def test_wms_sends_repeated_item_codes_and_maps_rows(wire) -> None:
    body = {"data": [wms_row("SKU-1001", "DC-EAST", 40, 38), wms_row("SKU-1002", "DC-WEST", 5, 5)],
            "meta": {"count": 2}}
    w = wire("wms", wms.classify, httpx.Response(200, json=body))
    levels = await wms.WmsHttpAdapter(w.http).get_stock(["SKU-1001", "SKU-1002", "SKU-1001"])
    assert levels == [
        StockLevel(sku="SKU-1001", location="DC-EAST", on_hand=40, available=38, sequence=4, as_of=AT),
        StockLevel(sku="SKU-1002", location="DC-WEST", on_hand=5, available=5, sequence=4, as_of=AT),
    ]
    (sent,) = w.requests
    assert sent.url.path == "/sandbox/wms/api/v2/inventory"
    assert sent.url.params.get_list("item_code") == ["SKU-1001", "SKU-1002"]


async def test_pos_sends_repeated_product_skus_and_maps_levels(wire) -> None:
    body = {"stockLevels": [{"storeCode": "STORE-NYC", "productSku": "SKU-1002", "quantity": 3, "seq": 7,
                             "lastChanged": "2026-11-22T10:00:00Z"}]}
    w = wire("pos", pos.classify, httpx.Response(200, json=body))
    levels = await pos.PosHttpAdapter(w.http).get_stock(["SKU-1002", "SKU-1003"])
    assert levels == [StockLevel(sku="SKU-1002", location="STORE-NYC", on_hand=3, available=3, sequence=7, as_of=AT)]
    (sent,) = w.requests
    assert sent.url.path == "/sandbox/pos/v1/stores/inventory"
    assert sent.url.params.get_list("productSku") == ["SKU-1002", "SKU-1003"]


WMS = (wms.WmsHttpAdapter, wms.classify)
POS = (pos.PosHttpAdapter, pos.classify)


@pytest.mark.parametrize(("adapter", "classify"), [WMS, POS])
async def test_no_skus_no_call(wire, adapter, classify) -> None:
    w = wire("x", classify, httpx.Response(500))
    assert await adapter(w.http).get_stock([]) == []
    assert w.requests == []


@pytest.mark.parametrize(
    ("adapter", "classify", "throttle_body", "empty"),
    [
        (*WMS, {"errors": [{"code": "rate_limited"}]}, {"data": [], "meta": {"count": 0}}),
        (*POS, {"message": "Too Many Requests"}, {"stockLevels": []}),
    ],
)
async def test_throttle_is_retried_then_gives_up(wire, adapter, classify, throttle_body, empty) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "2"}, json=throttle_body)
    w = wire("x", classify, throttled, httpx.Response(200, json=empty))
    assert await adapter(w.http).get_stock(["SKU-1"]) == []
    assert len(w.requests) == 2 and w.sleeps[0] >= 2.0
    w = wire("x", classify, throttled)
    with pytest.raises(BackendThrottled) as caught:
        await adapter(w.http).get_stock(["SKU-1"])
    assert caught.value.retry_after == 2.0 and len(w.requests) == 3
