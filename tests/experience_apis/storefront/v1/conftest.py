"""Storefront v1 over the in-process hub: keys for the usual callers and short calls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Hub
from tests.gateway.support import api, either_hub  # noqa: F401 - a fixture, imported to be found here

PRODUCTS = "/v1/storefront/products"
BASKET = "/v1/storefront/price-availability"


@pytest.fixture
async def guest(hub: Hub) -> str:
    """A storefront key bound to no customer: a guest at list prices."""
    return await hub.new_key("catalog:read")


@pytest.fixture
async def trusted(hub: Hub) -> str:
    """A trusted storefront backend that may name any customer."""
    return await hub.new_key("catalog:read", "customers:any")


async def product(hub: Hub, key: str, sku: str = "SKU-1001", **params: Any) -> httpx.Response:
    return await hub.http.get(f"{PRODUCTS}/{sku}", params=params, headers=api(key))


async def basket(hub: Hub, key: str, *pairs: tuple[str, Any], **fields: Any) -> httpx.Response:
    body = {"lines": [{"sku": sku, "quantity": quantity} for sku, quantity in pairs], **fields}
    return await hub.http.post(BASKET, json=body, headers=api(key))


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()
