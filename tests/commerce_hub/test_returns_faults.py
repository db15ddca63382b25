"""The refund saga's faults through the whole one-process hub (issue 5), on the embedded
default, on PostgreSQL, and on PostgreSQL + Redis (Redis Streams carry the saga's messages):
payments down for the whole retry budget, payments flaky, and a
hub stopped mid-saga whose successor on the same database finishes it exactly once.

A tiny retry budget (``HUB_RETRY_BUDGET_SECONDS=2``, backoff cap 0.2 s) makes giving up
take seconds, not the default fifteen minutes.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from shared.db.migrate import upgrade
from tests.commerce_hub.orders_support import until
from tests.commerce_hub.test_returns import (
    ADMIN, SCOPES, ask_return, shipped_order, view, wait_refund)
from tests.conftest import _pg_admin, make_settings, start_hub

FAST = {"retry_budget_seconds": 2, "retry_max_delay_seconds": 0.2, "outbox_lease_seconds": 1}


@asynccontextmanager
async def database(kind: str, tmp_path, pg_url: str | None) -> AsyncIterator[str]:  # noqa: ANN001
    """A migrated database of the test's own: a SQLite file, or a fresh PostgreSQL database."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path}/hub.db"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    name = f"hub_test_{secrets.token_hex(4)}"
    await _pg_admin(f'CREATE DATABASE "{name}"')
    url = (pg_url or "").rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql", "postgresql+redis"])
def backend(request) -> dict:  # noqa: ANN001
    """The deployment: resolved before any event loop runs (the session fixtures use their own)."""
    kind = request.param
    return {"kind": kind.split("+")[0], "pg_url": request.getfixturevalue("pg_url") if kind != "sqlite" else None,
            "redis_url": request.getfixturevalue("redis_url") if kind.endswith("redis") else None}


@pytest.fixture
async def database_url(backend: dict, tmp_path) -> AsyncIterator[str]:  # noqa: ANN001
    async with database(backend["kind"], tmp_path, backend["pg_url"]) as url:
        yield url


def settings_for(database_url: str, backend: dict, **overrides: object):  # noqa: ANN201
    return make_settings(database_url, redis_url=backend["redis_url"], **overrides)


@pytest.fixture
async def fast_hub(database_url: str, backend: dict):  # noqa: ANN201
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, settings_for(database_url, backend, **FAST))


async def test_payments_down_for_the_whole_budget_voids_the_memo_and_refunds_nothing(fast_hub) -> None:
    hub = fast_hub
    headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
    order_id = await shipped_order(hub, headers)
    assert (await hub.http.put("/sandbox/payments/faults", json={"outage": True})).status_code == 200
    rma = (await ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "not_needed"))).json()
    failed = await wait_refund(hub.http, headers, rma["rma_id"], "failed")
    assert failed["refund"]["reason"].startswith("payment_refund: ")
    (memo,) = await view(hub.http, "/sandbox/erp/credit-memos", external_ref=rma["rma_id"])
    assert (memo["status"], memo["amount"]) == ("void", "198.00")
    assert await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123") == []
    assert (await hub.http.post("/sandbox/wms/receive", json={"rma_id": rma["rma_id"]})).status_code == 404
    letters = (await hub.http.get("/admin/v1/dead-letters", params={"topic": "return.saga"}, headers=ADMIN)).json()
    (letter,) = [item for item in letters["items"] if item["key"] == rma["rma_id"]]
    assert letter["reason"].startswith("saga_step_failed") and letter["payload"]["step"] == "payment_refund"
    assert (await hub.http.delete("/sandbox/payments/faults")).status_code in (200, 204)
    again = await ask_return(hub.http, headers, order_id, ("SKU-1001", 2, "not_needed"))
    assert again.status_code == 201  # nothing was returned: the drills may be asked for again


async def test_flaky_payments_refund_exactly_once(database_url: str, backend: dict) -> None:
    async with AsyncExitStack() as stack:  # the default retry budget: the saga keeps trying
        hub = await start_hub(stack, settings_for(database_url, backend, retry_max_delay_seconds=0.2))
        headers = {"X-API-Key": await hub.new_key(*SCOPES, customer="CUST-ACME")}
        order_id = await shipped_order(hub, headers)
        assert (await hub.http.put("/sandbox/payments/faults", json={"error_rate": 0.4})).status_code == 200
        rma = (await ask_return(hub.http, headers, order_id, ("SKU-1001", 1, "not_needed"))).json()
        await wait_refund(hub.http, headers, rma["rma_id"], "issued", timeout=60)
        refunds = await view(hub.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123")
        assert [r["amount"] for r in refunds] == ["99.00"]


async def test_a_hub_stopped_mid_saga_is_finished_once_by_the_next(database_url: str, backend: dict) -> None:
    settings = settings_for(database_url, backend, retry_max_delay_seconds=0.2, outbox_lease_seconds=1)
    async with AsyncExitStack() as first_stack:
        first = await start_hub(first_stack, settings)
        headers = {"X-API-Key": await first.new_key(*SCOPES, customer="CUST-ACME")}
        order_id = await shipped_order(first, headers)
        assert (await first.http.put("/sandbox/payments/faults", json={"outage": True})).status_code == 200
        rma_id = (await ask_return(first.http, headers, order_id, ("SKU-1001", 1, "not_needed"))).json()["rma_id"]

        async def at_the_refund() -> bool:
            got = (await first.http.get(f"/admin/v1/returns/{rma_id}", headers=ADMIN)).json()
            return got["saga_step"] == "payment_refund"

        await until(at_the_refund)
        assert len(await view(first.http, "/sandbox/erp/credit-memos", external_ref=rma_id)) == 1
    # the first hub is gone, mid-step; the next one starts on the same database (and a fresh sandbox)
    async with AsyncExitStack() as second_stack:
        second = await start_hub(second_stack, settings)
        done = await wait_refund(second.http, headers, rma_id, "issued", timeout=30)
        refunds = await view(second.http, "/sandbox/payments/refunds", authorization_id="pay_auth_123")
        assert [r["amount"] for r in refunds] == ["99.00"]
        assert await view(second.http, "/sandbox/erp/credit-memos", external_ref=rma_id) == []  # resumed, not redone
        assert [h.get("detail", "") for h in done["history"]].count(
            next(h["detail"] for h in done["history"] if h.get("detail", "").startswith("refund re_"))) == 1
