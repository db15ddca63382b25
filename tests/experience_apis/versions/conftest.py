"""Helpers for the versioned experience APIs over the in-process hub (also used by the
mobile and partner tests)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Hub
from tests.gateway.support import api


async def call(hub: Hub, key: str, path: str, **params: Any) -> httpx.Response:
    """GET `path` with an API key and query parameters."""
    return await hub.http.get(path, params=params, headers=api(key))


def ok(response: httpx.Response) -> Any:
    """The JSON body of a 200."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


async def set_stock(hub: Hub, sku: str, location: str, on_hand: int) -> None:
    """The sandbox WMS (or POS, for a store) changes stock and announces it."""
    response = await hub.http.post("/sandbox/wms/stock", json={"sku": sku, "location": location, "on_hand": on_hand})
    assert response.status_code == 200, response.text
