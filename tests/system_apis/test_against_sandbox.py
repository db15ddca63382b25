"""The HTTP adapters against the real sandbox backends, in process over ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from shared.errors import BackendThrottled, NotFound
from shared.models import PriceBreak
from shared.resilience import Guard, RetryPolicy
from system_apis.erp.client import ErpHttpAdapter
from system_apis.erp.client import classify as erp_classify
from system_apis.pos.client import PosHttpAdapter
from system_apis.pos.client import classify as pos_classify
from system_apis.sandbox.app import create_sandbox_app
from system_apis.vendor_http import VendorHttp
from system_apis.wms.client import WmsHttpAdapter
from system_apis.wms.client import classify as wms_classify


async def _no_wait(seconds: float) -> None:
    """Retries happen at once: the sandbox's Retry-After is not worth real seconds here."""


class Sandbox:
    def __init__(self) -> None:
        self.transport = httpx.ASGITransport(app=create_sandbox_app())
        self.clients: list[httpx.AsyncClient] = []
        policy = RetryPolicy(max_attempts=2)
        self.erp = ErpHttpAdapter(self._http("erp", erp_classify, policy))
        self.wms = WmsHttpAdapter(self._http("wms", wms_classify, policy))
        self.pos = PosHttpAdapter(self._http("pos", pos_classify, policy))

    def _http(self, name: str, classify, policy: RetryPolicy) -> VendorHttp:
        client = httpx.AsyncClient(transport=self.transport, base_url=f"http://sandbox/sandbox/{name}")
        self.clients.append(client)
        return VendorHttp(name, client, Guard(name, policy=policy, sleep=_no_wait), classify)

    async def control(self, method: str, path: str, body: dict) -> None:
        async with httpx.AsyncClient(transport=self.transport, base_url="http://sandbox") as client:
            (await client.request(method, path, json=body)).raise_for_status()


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    s = Sandbox()
    yield s
    for client in s.clients:
        await client.aclose()


async def test_seed_items_and_prices(sandbox: Sandbox) -> None:
    drill = await sandbox.erp.get_item("SKU-1001")
    assert (drill.name, drill.list_price, drill.currency, drill.orderable) == (
        "Cordless Drill 18V", Decimal("129.00"), "USD", True,
    )
    assert drill.breaks == (PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),)
    assert (await sandbox.erp.get_item("SKU-1004")).orderable is False
    assert (await sandbox.erp.get_item("SKU-1003")).final_sale is True
    prices = await sandbox.erp.get_contract_prices("CUST-ACME")
    assert prices.prices == {"SKU-1001": Decimal("99.00")}


async def test_item_pages_follow_next_offset(sandbox: Sandbox) -> None:
    skus, offset = [], 0
    while offset is not None:
        page = await sandbox.erp.list_items(offset=offset, limit=3)
        skus += [item.sku for item in page.items]
        offset = page.next_offset
    assert skus == ["SKU-1001", "SKU-1002", "SKU-1003", "SKU-1004"]


async def test_customers(sandbox: Sandbox) -> None:
    hold = await sandbox.erp.get_customer("CUST-HOLD")
    assert (hold.credit_hold, hold.credit_limit, hold.terms) == (True, Decimal("1000.00"), "NET30")
    with pytest.raises(NotFound) as caught:
        await sandbox.erp.get_customer("CUST-NOPE")
    assert caught.value.code == "unknown_customer"
    with pytest.raises(NotFound) as caught:
        await sandbox.erp.get_item("SKU-NOPE")
    assert caught.value.code == "unknown_sku"


async def test_stock_from_warehouses_and_stores(sandbox: Sandbox) -> None:
    warehouses = await sandbox.wms.get_stock(["SKU-1002"])
    stores = await sandbox.pos.get_stock(["SKU-1002"])
    assert [(s.location, s.on_hand, s.available) for s in warehouses] == [("DC-WEST", 5, 5)]
    assert [(s.location, s.on_hand, s.available) for s in stores] == [("STORE-NYC", 3, 3)]
    assert await sandbox.wms.get_stock(["SKU-1004"]) == []


async def test_throttle_fault_is_backend_throttled(sandbox: Sandbox) -> None:
    await sandbox.control("PUT", "/sandbox/erp/faults", {"throttle": True})
    with pytest.raises(BackendThrottled) as caught:
        await sandbox.erp.get_item("SKU-1001")
    assert caught.value.retry_after == 1.0 and caught.value.backend == "erp"
