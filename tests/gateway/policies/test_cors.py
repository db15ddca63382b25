"""CORS at the edge: allowed origins only, preflight before identity."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from tests.conftest import make_settings, start_hub

SHOP = "https://shop.example"
PRODUCT = "/v1/storefront/products/SKU-1001"


@pytest.fixture
async def cors_hub(sqlite_url):
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(sqlite_url, cors_origins=(SHOP,)))


def preflight(origin: str) -> dict:
    return {"Origin": origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "x-api-key"}


async def test_a_preflight_from_an_allowed_origin_is_answered_without_credentials(cors_hub):
    response = await cors_hub.http.options(PRODUCT, headers=preflight(SHOP))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "X-API-Key" in response.headers["access-control-allow-headers"]
    assert "GET" in response.headers["access-control-allow-methods"]


async def test_a_preflight_from_another_origin_is_refused(cors_hub):
    response = await cors_hub.http.options(PRODUCT, headers=preflight("https://evil.example"))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_an_allowed_origin_can_read_the_answer_and_its_headers(cors_hub):
    key = await cors_hub.new_key("catalog:read")
    response = await cors_hub.http.get(PRODUCT, headers={"Origin": SHOP, "X-API-Key": key})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "RateLimit" in response.headers["access-control-expose-headers"]
    other = await cors_hub.http.get(PRODUCT, headers={"Origin": "https://evil.example", "X-API-Key": key})
    assert "access-control-allow-origin" not in other.headers


async def test_no_origins_configured_means_no_cors_headers(hub):
    response = await hub.http.options(PRODUCT, headers=preflight(SHOP))
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code in (401, 405)
