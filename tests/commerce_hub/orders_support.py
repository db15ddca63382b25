"""Helpers for order tests against a whole hub (in process or spawned)."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any, Awaitable, Callable

import httpx

ACME_ORDER = {"customer_id": "CUST-ACME", "channel_order_ref": "WEB-5531", "currency": "USD",
              "lines": [{"sku": "SKU-1001", "quantity": 2, "unit_price": "99.00"}],
              "ship_to": {"name": "Acme Receiving", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                          "postal_code": "62701", "country": "US"}}
GUEST_ORDER = {"lines": [{"sku": "SKU-1003", "quantity": 2, "unit_price": "8.75"}],
               "payment": {"method": "card", "authorization_id": "pay_auth_123", "amount": "17.50"}}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 15.0, interval: float = 0.05) -> Any:
    """Poll ``check`` until it returns something truthy; its last value or AssertionError at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {timeout} s (last: {value!r})")
        await asyncio.sleep(interval)  # polling a condition, bounded by the deadline


async def order_status(http: httpx.AsyncClient, headers: dict, order_id: str, prefix: str = "/v1/storefront") -> str:
    response = await http.get(f"{prefix}/orders/{order_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def wait_status(http: httpx.AsyncClient, headers: dict, order_id: str, status: str, timeout: float = 15.0,
                      prefix: str = "/v1/storefront") -> dict:
    async def reached() -> dict | None:
        response = await http.get(f"{prefix}/orders/{order_id}", headers=headers)
        return response.json() if response.json().get("status") == status else None

    return await until(reached, timeout)


async def erp_sales_orders(http: httpx.AsyncClient, order_id: str) -> list[dict]:
    response = await http.get("/sandbox/erp/sales-orders", params={"external_ref": order_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]
