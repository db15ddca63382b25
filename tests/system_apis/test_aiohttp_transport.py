"""httpx on aiohttp (system_apis/aiohttp_transport.py): the same requests and answers on the
wire as httpx's own transport, and failures in httpx's error tree."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from shared.errors import BackendUnavailable
from shared.resilience import Bulkhead, CircuitBreaker, Guard, RetryPolicy
from system_apis.aiohttp_transport import AiohttpTransport
from system_apis.vendor_http import VendorHttp, raise_for_vendor_status


async def echo(request: web.Request) -> web.Response:
    body = await request.read()
    return web.json_response({"method": request.method, "path": request.path, "query": dict(request.query),
                              "body": body.decode(), "key": request.headers.get("Idempotency-Key"),
                              "type": request.headers.get("Content-Type")},
                             status=int(request.query.get("status", "200")), headers={"X-Seen": "yes"})


async def slow(request: web.Request) -> web.Response:
    await asyncio.sleep(2)
    return web.Response(text="late")


@pytest.fixture
async def base_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/slow", slow)
    app.router.add_route("*", "/{tail:.*}", echo)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
async def test_requests_and_answers_are_the_same_as_over_httpx_own_transport(base_url: str, transport: str) -> None:
    own = AiohttpTransport() if transport == "aiohttp" else None
    async with httpx.AsyncClient(base_url=base_url, transport=own) as client:
        posted = await client.post("/api/v1/salesOrders", params={"a": "1"}, content=b'{"x": 1}',
                                   headers={"Idempotency-Key": "ord_1", "Content-Type": "application/json"})
        got = await client.get("/api/v1/items/SKU-1", params={"status": "404"})
    assert posted.status_code == 200 and posted.headers["x-seen"] == "yes"
    assert posted.json() == {"method": "POST", "path": "/api/v1/salesOrders", "query": {"a": "1"},
                             "body": '{"x": 1}', "key": "ord_1", "type": "application/json"}
    assert got.status_code == 404 and got.json()["method"] == "GET" and got.json()["body"] == ""


async def test_a_refused_connection_is_a_connect_error() -> None:
    async with httpx.AsyncClient(transport=AiohttpTransport()) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{_closed_port()}/x")


async def test_a_slow_answer_is_a_read_timeout(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport(), timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            await client.get("/slow")


async def test_vendor_http_over_it_maps_failures_to_backend_unavailable(base_url: str) -> None:
    guard = Guard("erp", policy=RetryPolicy(max_attempts=1), timeout=5.0, bulkhead=Bulkhead("erp", max_concurrent=4),
                  breaker=CircuitBreaker("erp", failure_threshold=100, reset_timeout=1.0))
    async with httpx.AsyncClient(base_url=base_url, transport=AiohttpTransport(), timeout=0.2) as client:
        http = VendorHttp("erp", client, guard, lambda r: raise_for_vendor_status("erp", r))
        assert b'"path":"/ok"' in (await http.get("ok", "/ok")).replace(b" ", b"")
        with pytest.raises(BackendUnavailable, match="timed out"):
            await http.get("slow", "/slow")
        with pytest.raises(BackendUnavailable, match="answered 503"):
            await http.get("down", "/down", params={"status": "503"})


async def test_closing_the_client_closes_its_connections(base_url: str) -> None:
    transport = AiohttpTransport()
    async with httpx.AsyncClient(base_url=base_url, transport=transport) as client:
        await client.get("/ok")
        session = transport._session
    assert session is not None and session.closed
