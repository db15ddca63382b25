"""A 3PL beside the WMS on split roles (PostgreSQL + Redis): the 3PL sends no events, so its
shipments and return receipts are polled by the workers through the system role's RPC
(``fulfilment.tpl``: ``shipments``, ``received_returns``). Two worker processes poll at once:
the idempotency ledger queues each shipment and each receipt once. An order with a line only
the 3PL holds and a line at the WMS's DC-EAST ships when both have; a return of the 3PL's line
is received at the 3PL, read back once, and refunded once.

Ports from 9450 (this branch's range), a private redis-server on 9457.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from system_apis.threepl.client import auth_headers
from tests.commerce_hub.orders_support import key, until
from tests.commerce_hub.test_fulfilment_routing import ORDER
from tests.commerce_hub.test_returns import SCOPES
from tests.conftest import fresh_pg_database
from tests.e2e.conftest import SPLIT_ROLES, RedisServer, SplitHub, private_redis, wait_statuses

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
BASE_PORT = 9450
HUB_TOML = """
[connections.tpl]
kind = "threepl"
locations = ["3PL-"]
options = { facilities = { "228" = "3PL-MV" } }
"""


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:  # noqa: ANN001
    with private_redis(tmp_path_factory.mktemp("redis"), port=BASE_PORT + 7) as server:
        yield server


@pytest.fixture(scope="module")
def own_pg() -> Iterator[str]:
    """A database of this module's own: the 3PL's stock (3PL-MV) and this module's holds stay out of
    the session's shared one, and earlier tests' holds do not move this order's lines."""
    with fresh_pg_database() as url:
        yield url


@pytest.fixture(scope="module")
def split(own_pg, redis_server, tmp_path_factory) -> Iterator[SplitHub]:  # noqa: ANN001
    pg_url = own_pg
    workdir = tmp_path_factory.mktemp("threepl-split")
    (workdir / "hub.toml").write_text(HUB_TOML)
    hub = SplitHub(workdir, pg_url, redis_url=redis_server.url, extra_env={
        "HUB_CONFIG": str(workdir / "hub.toml"), "HUB_FULFILMENT_POLL_SECONDS": "0.3"})
    hub.ports = {role: BASE_PORT + n for n, role in enumerate(SPLIT_ROLES)}
    url = {role: f"http://127.0.0.1:{port}" for role, port in hub.ports.items()}
    hub.env.update({"HUB_SANDBOX_URL": url["sandbox"], "HUB_SANDBOX_EVENTS_URL": url["gateway"],
                    "HUB_SYSTEM_URL": url["system"], "HUB_PROCESS_URL": url["process"],
                    "HUB_EXPERIENCE_URL": url["experience"]})
    try:
        hub.start()
        hub.roles["worker-2"] = second = hub.spawn("worker", port=BASE_PORT + len(SPLIT_ROLES))  # a second poller
        second.wait_ready(60)
        yield hub
    finally:
        hub.stop()


@pytest.fixture
async def clients(split: SplitHub):
    async with httpx.AsyncClient(base_url=split.url, timeout=20) as api, \
            httpx.AsyncClient(base_url=split.sandbox_url, timeout=20) as sandbox:
        yield api, sandbox
    print(split.logs())  # shown by pytest only when the test failed


async def test_the_3pl_s_part_ships_and_its_return_is_received_once_with_two_polling_workers(split, clients) -> None:
    api, sandbox = clients
    for location in ("DC-EAST", "DC-WEST"):  # SKU-1001 only at the 3PL (25 at 3PL-MV)
        moved = await sandbox.post("/sandbox/wms/stock", json={"sku": "SKU-1001", "location": location, "on_hand": 0})
        assert moved.status_code in (200, 201, 202), moved.text
    catalog = {"X-API-Key": split.new_key("catalog:read")}

    async def only_the_3pl_holds_it() -> bool:
        answer = (await api.get("/v1/storefront/products/SKU-1001", headers=catalog)).json()
        return {(l["location"], l["available"]) for l in answer.get("locations", [])} >= {
            ("DC-EAST", 0), ("DC-WEST", 0), ("3PL-MV", 25)}

    await until(only_the_3pl_holds_it, timeout=30)
    headers = {"X-API-Key": split.new_key(*SCOPES)}
    created = await api.post("/v1/storefront/orders", json=ORDER, headers={**headers, **key()})
    assert created.status_code == 201, created.text
    order_id = created.json()["order_id"]
    await wait_statuses(api, headers, [order_id], "released", 60, "/v1/storefront")
    found = await sandbox.get("/sandbox/threepl/2026-01/order", params={"ReferenceIds": order_id},
                              headers=auth_headers())
    [tpl_order] = found.json()
    assert [(p["reference_id"], p["quantity"]) for p in tpl_order["products"]] == [("SKU-1001", 1)]

    for backend in ("wms", "threepl"):
        assert (await sandbox.post(f"/sandbox/{backend}/ship", json={"order_id": order_id})).status_code == 200
    try:
        [view] = (await wait_statuses(api, headers, [order_id], "shipped", 60, "/v1/storefront")).values()
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{split.logs()}") from None
    by_carrier = {s["carrier"]: s for s in view["shipments"]}
    assert sorted(by_carrier) == ["UPS", "USPS"] and len(view["shipments"]) == 2, view["shipments"]
    assert by_carrier["USPS"]["tracking_number"].startswith("9400")

    asked = await api.post("/v1/storefront/returns", headers={**headers, **key()}, json={
        "order_id": order_id, "lines": [{"sku": "SKU-1001", "quantity": 1, "reason": "not_needed"}]})
    assert asked.status_code == 201, asked.text
    rma_id = asked.json()["rma_id"]

    async def refunded() -> dict | None:
        got = (await api.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
        return got if got["refund"]["status"] == "issued" else None

    await until(refunded, timeout=60)
    assert (await sandbox.post("/sandbox/threepl/receive", json={"rma_id": rma_id})).status_code == 200

    async def received() -> dict | None:
        got = (await api.get(f"/v1/storefront/returns/{rma_id}", headers=headers)).json()
        return got if got["lines"][0]["received_quantity"] == 1 else None

    done = await until(received, timeout=60)
    assert [h["detail"] for h in done["history"]].count("received by the WMS: 1 x SKU-1001 (restock)") == 1, \
        done["history"]
    refunds = (await sandbox.get("/sandbox/payments/refunds", params={"authorization_id": "pay_auth_123"})).json()
    assert [r["status"] for r in refunds["items"]] == ["succeeded"], refunds
