"""Issue 10, defect 16 through the whole one-process hub, on SQLite and on PostgreSQL + Redis:
an ERP outage dead-letters an order's posting (a one-second retry budget), then

- the fault is cleared and the dead letter replayed at once: the answer reports the ERP's
  circuit closed and the order is posted to the ERP exactly once, never dead-lettered again;
- the dead letter is replayed while the outage lasts: the answer reports the circuit open
  with ``retry_at``, the message waits for it, is not dead-lettered again by its first
  failed attempt, and is posted once when the ERP is back.

Split roles: the system role serves its circuits on the internal RPC; a gateway that
cannot reach it answers ``unknown``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from shared.db.engine import create_engine, dispose
from shared.db.tables import dead_letters, outbox
from shared.messaging.outbox import as_utc
from tests.commerce_hub.orders_support import ACME_ORDER, erp_sales_orders, key, until, wait_status
from tests.commerce_hub.test_returns_faults import database
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}
FAST = {"retry_budget_seconds": 1, "retry_max_delay_seconds": 0.2, "outbox_poll_seconds": 0.05,
        "breaker_open_seconds": 2}


@pytest.fixture(params=["sqlite", "postgresql+redis"])
def services(request) -> dict:  # noqa: ANN001
    """Resolved before any event loop runs (the session fixtures use their own)."""
    real = request.param != "sqlite"
    return {"kind": request.param.split("+")[0], "pg_url": request.getfixturevalue("pg_url") if real else None,
            "redis_url": request.getfixturevalue("redis_url") if real else None}


@asynccontextmanager
async def _started(services: dict, tmp_path, **overrides: object) -> AsyncIterator[tuple[Hub, str]]:  # noqa: ANN001
    """The one-process hub on the service's database, with ``FAST`` and ``overrides``."""
    async with database(services["kind"], tmp_path, services["pg_url"]) as url, AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(url, redis_url=services["redis_url"], **FAST, **overrides)), url


@pytest.fixture
async def deployment(services: dict, tmp_path) -> AsyncIterator[tuple[Hub, str]]:  # noqa: ANN001
    async with _started(services, tmp_path) as started:
        yield started


@pytest.fixture
async def opening_at_once(services: dict, tmp_path) -> AsyncIterator[tuple[Hub, str]]:  # noqa: ANN001
    """``deployment`` whose circuits open at the first failure: the dead letter then always comes
    with the ERP's circuit open. With five failures to open it, a busy machine whose worker first
    tried the order after its one-second budget had passed dead-lettered it after one attempt,
    the circuit still closed (seen on 2026-12-07 with another hub loading the machine)."""
    async with _started(services, tmp_path, breaker_failure_threshold=1) as started:
        yield started


async def dead_letters_of(hub: Hub, order_id: str) -> list[dict]:
    answer = await hub.http.get("/admin/v1/dead-letters", params={"topic": "order.accepted"}, headers=ADMIN)
    assert answer.status_code == 200, answer.text
    return [item for item in answer.json()["items"] if item["key"] == order_id]


async def order_dead_lettered_in_an_erp_outage(hub: Hub) -> tuple[dict, str, dict]:
    headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME")}
    warm = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert warm.status_code == 201  # the hub has read this customer and item from the ERP
    await wait_status(hub.http, headers, warm.json()["order_id"], "released")
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    placed = await hub.http.post("/v1/storefront/orders", json=ACME_ORDER, headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    order_id = placed.json()["order_id"]
    (letter,) = await until(lambda: dead_letters_of(hub, order_id), timeout=30)
    assert letter["backend"] == "erp" and letter["reason"].startswith("backend_unavailable")
    return headers, order_id, letter


async def test_a_replay_right_after_the_fault_cleared_posts_the_order_once(deployment) -> None:  # noqa: ANN001
    hub, _ = deployment
    headers, order_id, letter = await order_dead_lettered_in_an_erp_outage(hub)
    assert (await hub.http.delete("/sandbox/erp/faults")).status_code in (200, 204)
    replayed = await hub.http.post(f"/admin/v1/dead-letters/{letter['id']}/replay", headers=ADMIN)
    assert replayed.status_code == 202, replayed.text
    assert replayed.json() == {"id": letter["id"], "status": "replayed", "backend": "erp", "backend_circuit": "closed"}
    done = await wait_status(hub.http, headers, order_id, "released", timeout=30)
    (sales_order,) = await erp_sales_orders(hub.http, order_id)
    assert sales_order["erp_order_number"] == done["erp_order_number"]
    (same,) = await dead_letters_of(hub, order_id)  # the replayed one, and no other
    assert same["id"] == letter["id"] and same["replayed_at"]


async def test_a_replay_while_the_erp_is_down_reports_the_open_circuit_and_waits_for_it(opening_at_once) -> None:  # noqa: ANN001
    hub, url = opening_at_once
    headers, order_id, letter = await order_dead_lettered_in_an_erp_outage(hub)
    asked = datetime.now(UTC)
    replayed = await hub.http.post(f"/admin/v1/dead-letters/{letter['id']}/replay", headers=ADMIN)
    assert replayed.status_code == 202, replayed.text
    body = replayed.json()
    assert (body["backend"], body["backend_circuit"]) == ("erp", "open")
    retry_at = datetime.fromisoformat(body["retry_at"])
    assert body["retry_at"].endswith("Z") and 0 < (retry_at - asked).total_seconds() <= FAST["breaker_open_seconds"]
    engine = create_engine(url)
    try:
        async def replayed_row():  # noqa: ANN202
            async with engine.connect() as conn:
                return (await conn.execute(select(outbox).where(outbox.c.key == order_id))).first()

        row = await replayed_row()
        assert row is not None and row.attempts == 0
        assert (as_utc(row.available_at) - retry_at).total_seconds() > -0.5  # due when the circuit may probe

        async def tried_and_failed():  # noqa: ANN202
            got = await replayed_row()
            return got if got is not None and got.attempts >= 1 and got.last_error else None

        tried = await until(tried_and_failed, timeout=30)  # the ERP is still down: its first attempt failed
        assert as_utc(tried.first_attempt_at) >= retry_at.replace(microsecond=0)
    finally:
        await dispose(engine)
    assert [d["id"] for d in await dead_letters_of(hub, order_id)] == [letter["id"]]  # not dead-lettered again
    assert (await hub.http.delete("/sandbox/erp/faults")).status_code in (200, 204)
    await wait_status(hub.http, headers, order_id, "released", timeout=30)
    assert len(await erp_sales_orders(hub.http, order_id)) == 1
    assert [d["id"] for d in await dead_letters_of(hub, order_id)] == [letter["id"]]


async def test_the_system_role_serves_its_circuits_to_the_gateway_over_the_internal_rpc(sqlite_url: str) -> None:
    async with AsyncExitStack() as stack:
        system = await start_hub(stack, make_settings(sqlite_url, sandbox_url="http://127.0.0.1:9"), role="system")
        answer = await system.http.post("/rpc/circuits/states", json={})
    assert answer.status_code == 200, answer.text
    states = {c["backend"]: (c["state"], c["retry_after"]) for c in answer.json()}
    assert states == {name: ("closed", None) for name in ("erp", "wms", "pos", "payments", "shopify")}


async def test_a_split_gateway_that_cannot_reach_the_system_role_says_unknown(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, experience_url="http://127.0.0.1:9", system_url="http://127.0.0.1:9")
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(dead_letters).values(
                id="dl_1", topic="order.accepted", key="O-1", payload='{"order_id":"O-1"}', backend="erp",
                reason="backend_unavailable: ERP answered 503", attempts=3, dead_at=datetime.now(UTC)))
        async with AsyncExitStack() as stack:
            gateway = await start_hub(stack, settings, role="gateway")
            answer = await gateway.http.post("/admin/v1/dead-letters/dl_1/replay", headers=ADMIN)
    finally:
        await dispose(engine)
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"id": "dl_1", "status": "replayed", "backend": "erp", "backend_circuit": "unknown"}
