"""Spawning real `hub serve` processes and waiting for them to be ready."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_pg_database

HUB = str(Path(sys.executable).with_name("hub"))


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """Each e2e module's own migrated PostgreSQL database, not the session's: holds that earlier
    tests left there (orders not yet released when their hub stopped, more of them on a loaded
    machine) count against the fresh sandbox stock these hubs start with, and refused orders
    (``insufficient_stock``) followed."""
    with fresh_pg_database() as url:
        yield url


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    def __init__(self, role: str, port: int, env: dict[str, str], cwd: Path) -> None:
        self.role, self.port = role, port
        self.url = f"http://127.0.0.1:{port}"
        self.log = cwd / f"{role}-{port}.log"
        full_env = {**os.environ, **env, "HUB_PORT": str(port), "HUB_LOG_LEVEL": "warning"}
        self.proc = subprocess.Popen(
            [HUB, "serve", "--role", role], env=full_env, cwd=cwd,
            stdout=self.log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.role} exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling for a condition, bounded by the deadline
        raise AssertionError(f"{self.role} not ready in {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture
def spawn(tmp_path: Path):
    started: list[Process] = []

    def _spawn(role: str, env: dict[str, str], port: int | None = None) -> Process:
        process = Process(role, port or free_port(), env, tmp_path)
        started.append(process)
        return process

    yield _spawn
    for process in reversed(started):
        process.stop()


# -- split deployments for the order tests (test_order_faults.py, test_order_split.py) -------------

SPLIT_ADMIN = "e2e-split-admin-key-0123456789"
SPLIT_ROLES = ("sandbox", "system", "process", "experience", "gateway", "worker")
FAST_FLOW_ENV = {
    # Test pacing, not product behaviour: shorter waits make the faults play out in seconds.
    "HUB_SANDBOX_AUTOSHIP_SECONDS": "0",  # tests ship with POST /sandbox/wms/ship
    "HUB_RETRY_MAX_DELAY_SECONDS": "1",  # backoff cap between attempts of a failing step
    "HUB_OUTBOX_POLL_SECONDS": "0.2",
    "HUB_OUTBOX_LEASE_SECONDS": "3",  # a killed worker's messages are taken over after 3 s
    "HUB_OUTBOX_REPUBLISH_SECONDS": "3",  # Redis: published-but-not-done work is published again
    "HUB_LOG_LEVEL": "warning",
}


def kill_hard(process: Process) -> None:
    """SIGKILL the role's whole process group (the server and its workers): no shutdown at all."""
    import signal

    if process.proc.poll() is None:
        try:
            os.killpg(process.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.proc.wait(10)


class SplitHub:
    """The hub as split roles (one process each) on a shared database, spoken to over HTTP.

    ``gateway`` is the public entry; ``sandbox`` the sandbox role (its controls and
    views, which keep their records whatever happens to the other roles).
    """

    def __init__(self, workdir: Path, database_url: str, redis_url: str | None = None,
                 extra_env: dict[str, str] | None = None) -> None:
        self.workdir = workdir
        self.ports = {role: free_port() for role in SPLIT_ROLES}
        url = {role: f"http://127.0.0.1:{port}" for role, port in self.ports.items()}
        self.env = {
            **FAST_FLOW_ENV,
            "HUB_DATABASE_URL": database_url,
            "HUB_SANDBOX": "1",  # a PostgreSQL hub must say so (issue 10): these tests drive the sandbox
            "HUB_BOOTSTRAP_ADMIN_KEY": SPLIT_ADMIN,
            "HUB_SANDBOX_URL": url["sandbox"],
            "HUB_SANDBOX_EVENTS_URL": url["gateway"],
            "HUB_SYSTEM_URL": url["system"],
            "HUB_PROCESS_URL": url["process"],
            "HUB_EXPERIENCE_URL": url["experience"],
            **({"HUB_REDIS_URL": redis_url} if redis_url else {}),
            **(extra_env or {}),
        }
        self.processes: list[Process] = []
        self.roles: dict[str, Process] = {}

    @property
    def url(self) -> str:
        return self.roles["gateway"].url

    @property
    def sandbox_url(self) -> str:
        return self.roles["sandbox"].url

    def start(self) -> "SplitHub":
        for role in SPLIT_ROLES:
            self.roles[role] = self.spawn(role, port=self.ports[role])
        for process in self.roles.values():
            process.wait_ready(60)
        return self

    def spawn(self, role: str, env: dict[str, str] | None = None, port: int | None = None) -> Process:
        """Another process of ``role`` with this deployment's settings (``env`` overriding them)."""
        process = Process(role, port or free_port(), {**self.env, **(env or {})}, self.workdir)
        self.processes.append(process)
        return process

    def new_key(self, *scopes: str, customer: str | None = None, plan: str = "internal",
                consumer: str | None = None) -> str:
        """A new API key's secret (plan ``internal`` by default: the tests poll a lot)."""
        body = {"consumer": consumer or f"e2e-{os.urandom(3).hex()}", "scopes": list(scopes), "customer": customer,
                "plan": plan}
        made = httpx.post(f"{self.url}/admin/v1/keys", json=body, headers={"X-API-Key": SPLIT_ADMIN}, timeout=10)
        assert made.status_code == 201, made.text
        return made.json()["key"]

    def logs(self, last: int = 3000) -> str:
        """The tail of every process's log, for an assertion message."""
        parts = []
        for process in self.processes:
            text = process.log.read_text(errors="replace") if process.log.exists() else ""
            if text.strip():
                parts.append(f"--- {process.role}:{process.port} ---\n{text[-last:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


class RedisServer:
    """A private, throw-away redis-server on its own port (never the machine's shared one)."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self, timeout: float = 10.0) -> "RedisServer":
        import redis

        self.starts += 1
        log = (self.workdir / f"redis-{self.port}-{self.starts}.log").open("w")
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no"], stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"redis-server exited {self.proc.returncode}")
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.5).ping():
                    return self
            except redis.RedisError:
                pass
            time.sleep(0.05)  # polling for a condition, bounded by the deadline
        raise AssertionError(f"redis-server on {self.port} not ready in {timeout}s")

    def undone_entries(self) -> int:
        """Entries in the hub's streams (an entry is deleted once its work is done)."""
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=1)
        try:
            return sum(client.xlen(stream) for stream in client.scan_iter("hub:stream:*", _type="stream"))
        finally:
            client.close()

    def kill(self) -> None:
        """kill -9: whatever it held in memory (the streams, the consumer groups) is gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextmanager
def private_redis(workdir: Path, port: int | None = None) -> Iterator[RedisServer]:
    """A started ``RedisServer``, stopped after; without redis-server installed the test is
    skipped, except under CI=true, where it fails (CI must run it)."""
    if shutil.which("redis-server") is None:
        message = "redis-server is not installed (the test starts a private one)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}; CI must run this test", pytrace=False)
        pytest.skip(message)
    server = RedisServer(workdir, port).start()
    try:
        yield server
    finally:
        server.stop()


# -- order helpers over HTTP (async; the tests' own event loop) ----------------------------------

async def place_order(client: httpx.AsyncClient, path: str, body: dict, headers: dict, idempotency_key: str,
                      timeout: float = 60.0) -> httpx.Response:
    """POST an order as a well-behaved client does: on 503 (the back office could not be read)
    or 409 (the same key still in flight) it sends the SAME request with the SAME key again."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.post(path, json=body, headers={**headers, "Idempotency-Key": idempotency_key})
        if response.status_code not in (409, 503) or (
                response.status_code == 409 and response.json().get("code") != "idempotency_key_in_flight"):
            return response
        if time.monotonic() > deadline:
            return response
        await asyncio.sleep(0.2)  # the client's retry pause, bounded by the deadline


async def order_views(client: httpx.AsyncClient, headers: dict, ids: list[str],
                      prefix: str = "/v1/storefront", *, busy_ok: bool = False) -> dict[str, dict]:
    """Each order's view; ``busy_ok``: a 503 with Retry-After (an instance too busy to answer in
    time, e.g. on a loaded machine) leaves that order out, to be asked again by the caller."""
    async def one(order_id: str) -> dict | None:
        response = await client.get(f"{prefix}/orders/{order_id}", headers=headers)
        if busy_ok and response.status_code == 503 and "retry-after" in response.headers:
            return None
        assert response.status_code == 200, response.text
        return response.json()

    views = await asyncio.gather(*(one(i) for i in ids))
    return {i: v for i, v in zip(ids, views) if v is not None}


async def wait_statuses(client: httpx.AsyncClient, headers: dict, ids: list[str], status: str,
                        timeout: float, prefix: str = "/v1/storefront") -> dict[str, dict]:
    """Poll until every order shows ``status``; the views, or AssertionError naming the laggards."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict] = {}
    while True:
        pending = [i for i in ids if i not in done]
        views = await order_views(client, headers, pending, prefix, busy_ok=True)
        done.update({i: v for i, v in views.items() if v["status"] == status})
        if len(done) == len(ids):
            return done
        if time.monotonic() > deadline:
            left = {i: v["status"] for i, v in views.items() if i not in done}
            raise AssertionError(f"{len(left)} of {len(ids)} orders never reached {status!r} in {timeout}s: {left}")
        await asyncio.sleep(0.3)  # polling a condition, bounded by the deadline


async def erp_sales_orders(sandbox: httpx.AsyncClient, **query: str) -> list[dict]:
    """The sandbox ERP's own records (``external_ref=`` or ``channel_order_ref=``; none: all)."""
    response = await sandbox.get("/sandbox/erp/sales-orders", params=query)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def hub_orders(database_url: str, where: str, *args: object) -> list[dict]:
    """Rows of the hub's own ``orders`` table (``where`` uses $1, $2 ... placeholders)."""
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"), timeout=5)
    try:
        rows = await conn.fetch(f"SELECT order_id, status, consumer, channel, channel_order_ref FROM orders "
                                f"WHERE {where}", *args)
    finally:
        await conn.close()
    return [dict(r) for r in rows]


# -- the order tests' shared steps ------------------------------------------------------------

ORDERS = "/v1/storefront/orders"
SHIP_TO = {"name": "Acme Receiving", "line1": "1 Main St", "city": "Springfield", "region": "IL",
           "postal_code": "62701", "country": "US"}
# Safety Glasses: 500 in stock, so the many orders of these tests never run the hub's stock book dry.
ORDER = {"customer_id": "CUST-ACME", "currency": "USD", "ship_to": SHIP_TO,
         "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}]}


async def clean_sandbox(sandbox: httpx.AsyncClient) -> None:
    """Every backend back to its seed (no sales orders, ids from the start) and no faults."""
    assert (await sandbox.post("/sandbox/reset")).status_code == 200
    for backend in ("erp", "wms", "shopify"):
        assert (await sandbox.delete(f"/sandbox/{backend}/faults")).status_code == 200


def order(**changes: object) -> dict:
    """A storefront order for CUST-ACME with its own channel reference."""
    return {**ORDER, "channel_order_ref": f"WEB-{uuid.uuid4().hex[:8]}", **changes}


async def place_all(api: httpx.AsyncClient, headers: dict, count: int, at_once: int = 10) -> list[str]:
    """``count`` orders, ``at_once`` in flight; each must be 201 ``accepted``; their ids."""
    gate = asyncio.Semaphore(at_once)

    async def one() -> str:
        async with gate:
            placed = await place_order(api, ORDERS, order(), headers, uuid.uuid4().hex)
        assert placed.status_code == 201, placed.text
        assert placed.json()["status"] == "accepted"
        return placed.json()["order_id"]

    ids = await asyncio.gather(*(one() for _ in range(count)))
    assert len(set(ids)) == count
    return list(ids)


async def warm_up(api: httpx.AsyncClient, sandbox: httpx.AsyncClient, headers: dict) -> None:
    """One order all the way to released (the hub has read and cached its back-office data),
    then the sandbox back to its seed so that the ERP holds only what the test places next."""
    warm = await place_all(api, headers, 1)
    await wait_statuses(api, headers, warm, "released", 30)
    assert (await sandbox.post("/sandbox/reset")).status_code == 200


async def holds(check, seconds: float, interval: float = 0.5) -> None:  # noqa: ANN001
    """Keep asserting ``check`` for ``seconds`` (a fault held on while the hub is watched)."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        await check()
        await asyncio.sleep(interval)  # polling an invariant, bounded by the duration


async def assert_posted_once(sandbox: httpx.AsyncClient, ids: list[str]) -> None:
    """Exactly one ERP sales order per order id, and nothing else booked since the reset."""
    for order_id in ids:
        records = await erp_sales_orders(sandbox, external_ref=order_id)
        assert len(records) == 1, f"{order_id}: {len(records)} ERP sales orders: {records}"
    everything = await erp_sales_orders(sandbox)
    assert sorted(r["external_ref"] for r in everything) == sorted(ids)


async def assert_released_once(api, sandbox, headers, ids, timeout: float) -> dict[str, dict]:  # noqa: ANN001
    """Every order ``released`` (once through each status) and booked exactly once in the ERP."""
    views = await wait_statuses(api, headers, ids, "released", timeout)
    for view in views.values():
        assert [h["status"] for h in view["history"]] == ["accepted", "posted", "released"], view["history"]
        assert view["erp_order_number"]
    await assert_posted_once(sandbox, ids)
    for order_id, view in views.items():
        [record] = await erp_sales_orders(sandbox, external_ref=order_id)
        assert record["erp_order_number"] == view["erp_order_number"]
    return views


@pytest.fixture
async def clients(split: SplitHub):
    """For the modules that define a module-scoped ``split``: (gateway, sandbox) clients, the sandbox back to its seed with no faults before and after."""
    async with httpx.AsyncClient(base_url=split.url, timeout=20) as api, \
            httpx.AsyncClient(base_url=split.sandbox_url, timeout=20) as sandbox:
        await clean_sandbox(sandbox)
        yield api, sandbox
        await clean_sandbox(sandbox)
    print(split.logs())  # shown by pytest only when the test failed
