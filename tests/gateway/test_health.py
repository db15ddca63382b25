"""Liveness, readiness and Prometheus metrics (gateway/health.py), in the hub and alone."""

from __future__ import annotations

import asyncio
import re

import httpx

from gateway.health import HealthApp
from shared.metrics import Registry
from tests.conftest import Hub
from tests.gateway.support import api

SAMPLE = re.compile(r'^hub_http_requests_total\{route="(?P<route>[^"]+)",status="(?P<status>\d{3})"\} (?P<value>[0-9.e+]+)$')


def request_counts(text: str) -> dict[tuple[str, str], float]:
    found = (SAMPLE.match(line) for line in text.splitlines())
    return {(m["route"], m["status"]): float(m["value"]) for m in found if m}


async def test_live_answers_ok(hub: Hub) -> None:
    response = await hub.http.get("/health/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready_checks_the_database_and_the_event_relay(hub: Hub) -> None:
    response = await hub.http.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "outbox": "ok"}}
    assert response.headers["cache-control"] == "no-store"


async def test_metrics_are_prometheus_text_counting_requests_by_route_and_status(hub: Hub) -> None:
    key, scraper = await hub.new_key("catalog:read"), api(await hub.new_key("metrics:read"))
    before = request_counts((await hub.http.get("/metrics", headers=scraper)).text)
    for path in ["/v1/storefront/products/SKU-1001"] * 3 + ["/v1/storefront/products/SKU-9999"]:
        await hub.http.get(path, headers=api(key))
    response = await hub.http.get("/metrics", headers=scraper)
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE hub_http_requests_total counter" in response.text
    assert "# TYPE hub_http_request_seconds histogram" in response.text
    after = request_counts(response.text)
    delta = {k: after[k] - before.get(k, 0.0) for k in after if after[k] != before.get(k, 0.0)}
    assert delta[("storefront-v1", "200")] == 3 and delta[("storefront-v1", "404")] == 1


async def _ready(app: HealthApp) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://h") as client:
        return await client.get("/health/ready")


async def test_ready_is_503_naming_a_failing_check() -> None:
    async def ok() -> None:
        return None

    async def broken() -> None:
        raise ConnectionRefusedError("db down")

    response = await _ready(HealthApp({"database": broken, "redis": ok}, Registry()))
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable",
                               "checks": {"database": "failing: ConnectionRefusedError", "redis": "ok"}}


async def test_ready_bounds_a_hanging_check_with_its_timeout() -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    response = await asyncio.wait_for(_ready(HealthApp({"redis": hangs}, Registry(), timeout=0.05)), 5)
    assert response.status_code == 503 and response.json()["checks"]["redis"].startswith("failing")
