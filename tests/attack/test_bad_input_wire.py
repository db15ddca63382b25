"""Bad input over a real socket against a spawned ``hub serve`` (uvicorn with the hub's protocol): slow bodies, idle
and slow connections, CL+TE, header floods, clients leaving mid-body. Each ends in a 4xx (or a
refused connection), never a 5xx, and never holds a socket past its timeout.

The hub runs with small timeouts (1-2 s) so each case plays out in seconds; every wait is
bounded by a socket timeout well above the setting, and measured."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Process, free_port

pytestmark = pytest.mark.e2e
ADMIN = "attack-admin-key-0123456789"
BODY_TIMEOUT, KEEPALIVE, HEADER_TIMEOUT = 1.0, 1.0, 2.0
BOUND = 6.0  # no socket may stay open this long after its timeout fired


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    workdir: Path = tmp_path_factory.mktemp("wire")
    process = Process("all", free_port(), {
        "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/hub.db",
        "HUB_HTTP_BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT), "HUB_HTTP_KEEPALIVE_SECONDS": str(KEEPALIVE),
        "HUB_HTTP_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT), "HUB_LOG_LEVEL": "info",
    }, workdir)
    try:
        process.wait_ready(60)
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def key(hub: Process) -> str:
    made = httpx.post(f"{hub.url}/admin/v1/keys", headers={"X-API-Key": ADMIN}, timeout=10,
                      json={"consumer": "wire", "scopes": ["catalog:read", "customers:any", "orders:write"]})
    assert made.status_code == 201, made.text
    return made.json()["key"]


class Answer:
    def __init__(self, raw: bytes, closed: bool, seconds: float) -> None:
        self.raw, self.closed, self.seconds = raw, closed, seconds
        first = raw.split(b"\r\n", 1)[0]
        match = re.match(rb"HTTP/1\.1 (\d{3})", first)
        self.status = int(match.group(1)) if match else None
        self.head = raw.split(b"\r\n\r\n", 1)[0].lower()


def exchange(hub: Process, data: bytes, *, wait: float = BOUND + BODY_TIMEOUT, close_after: float | None = None,
             pause: float = 0.0, rest: bytes = b"") -> Answer:
    """Send `data` (then `rest` after `pause` s), read until the server closes or `wait` s pass."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", hub.port), timeout=wait) as sock:
        sock.sendall(data)
        if rest:
            time.sleep(pause)  # the slow client itself, not a wait for a condition
            sock.sendall(rest)
        if close_after is not None:
            time.sleep(close_after)  # the client leaving mid-body
            return Answer(b"", True, time.monotonic() - started)
        raw, closed = b"", False
        try:
            while chunk := sock.recv(65536):
                raw += chunk
            closed = True
        except (TimeoutError, socket.timeout):
            pass
        except ConnectionResetError:
            closed = True
        return Answer(raw, closed, time.monotonic() - started)


def post(path: str, headers: str, body: bytes = b"", length: int | None = None) -> bytes:
    length = len(body) if length is None else length
    return (f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n{headers}"
            f"Content-Length: {length}\r\n\r\n").encode() + body


def metric(hub: Process, route: str, status: str) -> float:
    text = httpx.get(f"{hub.url}/metrics", headers={"X-API-Key": ADMIN}, timeout=5).text
    match = re.search(rf'hub_http_requests_total{{route="{route}",status="{status}"}} (\S+)', text)
    return float(match.group(1)) if match else 0.0


PATHS = [("/v1/storefront/price-availability", True), ("/admin/v1/keys", True), ("/hooks/wms", False),
         ("/sandbox/wms/stock", False)]


def auth(hub_key: str, path: str) -> str:
    return f"X-API-Key: {ADMIN if path.startswith('/admin') else hub_key}\r\n"


@pytest.mark.parametrize(("path", "_"), PATHS)
def test_a_slow_body_gets_408_and_the_connection_closed_within_the_timeout(hub: Process, key: str, path: str,
                                                                           _: bool) -> None:
    answer = exchange(hub, post(path, auth(key, path), b'{"lines": [', length=200))
    assert answer.status == 408, answer.raw[:300]
    assert answer.closed and answer.seconds < BODY_TIMEOUT + 2, answer.seconds
    assert b"application/problem+json" in answer.head and b"connection: close" in answer.head


def test_an_idle_keep_alive_connection_is_closed(hub: Process) -> None:
    answer = exchange(hub, b"GET /health/live HTTP/1.1\r\nHost: hub\r\n\r\n")
    assert answer.status == 200 and answer.closed, answer.raw[:300]
    assert answer.seconds < KEEPALIVE + 2, answer.seconds


def test_headers_that_never_end_are_dropped(hub: Process) -> None:
    answer = exchange(hub, b"GET /health/live HTTP/1.1\r\nHost: hub\r\nX-Slow: 1\r\n")
    assert answer.closed and answer.seconds < HEADER_TIMEOUT + 2, answer.seconds
    assert answer.status is None or answer.status < 500, answer.raw[:300]


@pytest.mark.parametrize(("path", "_"), PATHS)
def test_content_length_with_broken_chunked_framing_is_4xx_and_closed(hub: Process, key: str, path: str,
                                                                      _: bool) -> None:
    body = b'{"sku": "SKU-1001", "location": "DC-EAST", "on_hand": 1}'
    data = post(path, auth(key, path) + "Transfer-Encoding: chunked\r\n", body)
    answer = exchange(hub, data)
    assert answer.status == 400 and answer.closed, answer.raw[:400]
    assert b"connection: close" in answer.head and b"application/problem+json" in answer.head
    assert b'"code":"bad_framing"' in answer.raw


@pytest.mark.parametrize(("path", "_"), PATHS)
def test_content_length_with_valid_chunks_is_always_4xx_and_closed(hub: Process, key: str, path: str,
                                                                    _: bool) -> None:
    """Both framings at once is request smuggling's shape: refused by the server's parser before
    any route sees it (RFC 9112 section 6.3), never answered as if well framed."""
    body = b'{"lines": []}'
    data = post(path, auth(key, path) + "Transfer-Encoding: chunked\r\n", b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body),
                length=3)
    answer = exchange(hub, data)
    assert answer.status == 400 and b'"code":"bad_framing"' in answer.raw, answer.raw[:400]
    assert answer.closed and answer.seconds < 3, "RFC 9112 6.3: the connection is closed after the answer"
    assert b"connection: close" in answer.head


@pytest.mark.parametrize(("path", "_"), PATHS)
def test_a_chunked_body_without_content_length_is_411_and_closed(hub: Process, key: str, path: str, _: bool) -> None:
    body = b'{"lines": []}'
    data = (f"POST {path} HTTP/1.1\r\nHost: hub\r\nContent-Type: application/json\r\n{auth(key, path)}"
            "Transfer-Encoding: chunked\r\n\r\n").encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    answer = exchange(hub, data)
    assert answer.status == 411 and answer.closed, answer.raw[:400]


@pytest.mark.parametrize("headers", [
    "".join(f"X-Flood-{i}: {'v' * 20}\r\n" for i in range(2000)),
    f"X-Huge: {'h' * 600_000}\r\n",
    "".join(f"X-Big-{i}: {'b' * 8000}\r\n" for i in range(100)),
])
def test_header_floods_are_refused_never_5xx_never_a_hang(hub: Process, headers: str) -> None:
    answer = exchange(hub, f"GET /health/live HTTP/1.1\r\nHost: hub\r\n{headers}\r\n".encode())
    assert answer.status is None or answer.status < 500, answer.raw[:300]
    assert answer.closed or answer.status is not None


def test_a_client_leaving_mid_body_counts_499_not_500_and_logs_no_error(hub: Process, key: str) -> None:
    routes = {"/v1/storefront/price-availability": "storefront-v1", "/admin/v1/keys": "admin",
              "/hooks/wms": "hooks", "/sandbox/wms/stock": "sandbox"}
    before = {route: (metric(hub, route, "499"), metric(hub, route, "500")) for route in routes.values()}
    for path in routes:
        exchange(hub, post(path, auth(key, path), b'{"lines": [', length=500), close_after=0.3)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(metric(hub, r, "499") <= before[r][0] for r in routes.values()):
        time.sleep(0.1)  # polling the metrics, bounded by the deadline
    for route in routes.values():
        assert metric(hub, route, "499") == before[route][0] + 1, route
        assert metric(hub, route, "500") == before[route][1], route
    log = hub.log.read_text(errors="replace")
    assert " ERROR " not in log and "Traceback" not in log, log[-3000:]


def test_head_on_get_routes_and_405_with_allow(hub: Process, key: str) -> None:
    with httpx.Client(base_url=hub.url, timeout=10) as client:
        for path, headers in (("/health/live", {}), ("/metrics", {"X-API-Key": ADMIN}), ("/openapi/storefront-v1.json", {}),
                              ("/v1/storefront/products/SKU-1001", {"X-API-Key": key})):
            got, head = client.get(path, headers=headers), client.head(path, headers=headers)
            assert (got.status_code, head.status_code, head.content) == (200, 200, b""), path
            assert head.headers["content-type"] == got.headers["content-type"]
        for path in ("/health/live", "/health/ready", "/metrics", "/openapi/storefront-v1.json"):
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                refused = client.request(method, path)
                assert refused.status_code == 405, (method, path, refused.text)
                assert refused.headers["allow"] == "GET, HEAD"
                assert refused.headers["content-type"] == "application/problem+json"
        refused = client.delete("/v1/storefront/products/SKU-1001", headers={"X-API-Key": key})
        assert refused.status_code == 405 and "GET" in refused.headers["allow"] and "HEAD" in refused.headers["allow"]
