"""Reconciliation through the one-process hub, on SQLite and on a fresh PostgreSQL: drift
injected in the sandbox ERP and in the stock book is found, repaired where it is safe and
reported otherwise; a stuck order is posted again exactly once; the admin API starts, lists
and reads runs, one at a time, and refuses bad input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import delete, select, update

from shared.db.tables import orders, outbox, stock_levels
from tests.commerce_hub.orders_support import ACME_ORDER, erp_sales_orders, key, until, wait_status
from tests.conftest import ADMIN_KEY, Hub, hub_and_engine, make_settings, start_hub
from tests.gateway.support import assert_field_errors, assert_problem

ADMIN = {"X-API-Key": ADMIN_KEY}
PATH = "/admin/v1/reconciliations"


@pytest.fixture(params=["sqlite_url", pytest.param("fresh_pg_url", marks=pytest.mark.postgres)])
def own_url(request: pytest.FixtureRequest) -> str:
    """A database of the test's own: the running-run lease is database-wide."""
    return request.getfixturevalue(request.param)


@asynccontextmanager
async def opened(url: str) -> AsyncIterator[tuple[Hub, object]]:
    """The hub (the sandbox never ships by itself) and an engine on its database."""
    async with hub_and_engine(url, sandbox_autoship_seconds=0) as both:
        yield both


async def run_to_end(hub: Hub, body: dict | None = None) -> dict:
    started = await hub.http.post(PATH, json=body, headers=ADMIN) if body is not None else \
        await hub.http.post(PATH, headers=ADMIN)
    assert started.status_code == 202, started.text
    assert started.headers["location"] == f"{PATH}/{started.json()['id']}"
    assert started.json()["status"] == "running"

    async def done() -> dict | None:
        run = (await hub.http.get(started.headers["location"], params={"limit": 500}, headers=ADMIN)).json()
        return run if run["status"] != "running" else None

    return await until(done)


def about(run: dict, subject: str) -> list[dict]:
    return [f for f in run["findings"] if f["subject"] == subject]


def sandbox_erp(hub: Hub):  # noqa: ANN201 - the sandbox's in-memory ERP, to inject drift behind the hub's back
    [route] = [r for r, _ in hub.app.edge._routes if r.name == "sandbox"]
    return route.app.state["sandbox"].backends["erp"].transactions.orders


async def place(hub: Hub, headers: dict, ref: str) -> str:
    placed = await hub.http.post("/v1/storefront/orders", json={**ACME_ORDER, "channel_order_ref": ref},
                                 headers={**headers, **key()})
    assert placed.status_code == 201, placed.text
    return placed.json()["order_id"]


async def test_posted_orders_missing_or_different_in_the_erp_are_reported(own_url: str) -> None:
    async with opened(own_url) as (hub, _):
        headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME")}
        lost = await place(hub, headers, "WEB-R1")
        await wait_status(hub.http, headers, lost, "released")
        assert (await hub.http.post("/sandbox/reset")).status_code == 200  # the ERP forgets it
        changed = await place(hub, headers, "WEB-R2")
        fine = await place(hub, headers, "WEB-R3")
        for order_id in (changed, fine):
            await wait_status(hub.http, headers, order_id, "released")
        book = sandbox_erp(hub)
        record = book.find(ref=changed)
        book.put(record.sales_order_id, msgspec.structs.replace(record, total="1.00"))

        run = await run_to_end(hub, {"checks": ["erp_orders"]})
        assert run["status"] == "completed" and run["checks"] == ["erp_orders"], run
        [missing] = about(run, lost)
        assert (missing["action"], missing["actual"]) == ("reported", None)
        assert "no sales order" in missing["detail"]
        [different] = about(run, changed)
        assert different["action"] == "reported" and different["actual"].endswith("USD 1.00")
        assert different["expected"].endswith("USD 198.00") and "another total" in different["detail"]
        assert about(run, fine) == []
        assert run["counts"]["erp_orders"] == {"checked": 3, "repaired": 0, "reported": 2, "failed": 0}
        assert await erp_sales_orders(hub.http, lost) == []  # reported, never posted again under a new number


async def test_a_stuck_order_is_posted_again_exactly_once(own_url: str) -> None:
    async with opened(own_url) as (hub, engine):
        headers = {"X-API-Key": await hub.new_key("orders:write", "orders:read", customer="CUST-ACME")}
        assert (await hub.http.post("/admin/v1/backends/erp/pause", headers=ADMIN)).status_code == 200
        order_id = await place(hub, headers, "WEB-R4")
        posting = (outbox.c.topic == "order.accepted") & (outbox.c.key == order_id)

        async def deferred() -> bool:  # tried once and put back to wait for the pause: in no worker's hands
            async with engine.connect() as conn:
                return bool((await conn.execute(select(outbox.c.id).where(
                    posting, outbox.c.attempts >= 1, outbox.c.claimed_until.is_(None)))).first())

        await until(deferred)
        async with engine.begin() as conn:  # its posting message is lost; it was accepted an hour ago
            await conn.execute(delete(outbox).where(posting))
            await conn.execute(update(orders).where(orders.c.order_id == order_id).values(
                updated_at=datetime.now(UTC) - timedelta(hours=1)))
        assert (await hub.http.post("/admin/v1/backends/erp/resume", headers=ADMIN)).status_code == 200

        first = await run_to_end(hub, {"checks": ["erp_orders"]})
        [repaired] = about(first, order_id)
        assert (repaired["action"], repaired["expected"], repaired["actual"]) == ("repaired", "posted", "accepted")
        await wait_status(hub.http, headers, order_id, "released")
        second = await run_to_end(hub)
        assert about(second, order_id) == [] and second["status"] == "completed", second
        assert second["counts"]["erp_orders"]["checked"] >= 1
        [booked] = await erp_sales_orders(hub.http, order_id)
        third = await run_to_end(hub, {"checks": ["erp_orders"]})
        assert about(third, order_id) == []
        assert await erp_sales_orders(hub.http, order_id) == [booked]
        async with engine.connect() as conn:
            left = (await conn.execute(select(outbox.c.id).where(posting))).all()
        assert left == []


async def test_stock_drift_is_repaired_in_the_book_and_shows_in_price_answers(own_url: str) -> None:
    async with opened(own_url) as (hub, engine):
        headers = {"X-API-Key": await hub.new_key("catalog:read")}

        async def shows(sku: str, quantity: int) -> bool:
            answer = await hub.http.get(f"/v1/storefront/products/{sku}", headers=headers)
            return answer.status_code == 200 and answer.json()["available_quantity"] == quantity

        for sku, quantity in (("SKU-1001", 50), ("SKU-1002", 8), ("SKU-1003", 500)):
            await until(lambda: shows(sku, quantity))
        levels = stock_levels.c
        async with engine.begin() as conn:
            # SKU-1003: the book missed an event (an older sequence, another value)
            await conn.execute(update(stock_levels).where(levels.sku == "SKU-1003", levels.location == "DC-EAST")
                               .values(available=7, on_hand=7, sequence=levels.sequence - 1))
            # SKU-1001 at DC-WEST: the book drifted at the same sequence
            await conn.execute(update(stock_levels).where(levels.sku == "SKU-1001", levels.location == "DC-WEST")
                               .values(available=3))
            # SKU-1002 at STORE-NYC: the book is ahead of the POS (it went back): reported, kept
            await conn.execute(update(stock_levels).where(levels.sku == "SKU-1002", levels.location == "STORE-NYC")
                               .values(available=9, sequence=levels.sequence + 100))
        assert await shows("SKU-1003", 500)  # the cached answer, from before the drift
        await hub.http.post("/admin/v1/cache/purge", json={}, headers=ADMIN)
        assert await shows("SKU-1003", 7) and await shows("SKU-1001", 43)  # the drift is what the hub answers

        run = await run_to_end(hub, {"checks": ["stock"]})
        assert run["status"] == "completed", run
        actions = {f["subject"]: (f["action"], f["detail"]) for f in run["findings"]}
        assert actions["SKU-1003@DC-EAST"][0] == "repaired" and "missed" in actions["SKU-1003@DC-EAST"][1]
        assert actions["SKU-1001@DC-WEST"][0] == "repaired" and "same sequence" in actions["SKU-1001@DC-WEST"][1]
        assert actions["SKU-1002@STORE-NYC"][0] == "reported" and "older" in actions["SKU-1002@STORE-NYC"][1]
        assert len(actions) == 3 and run["counts"]["stock"]["checked"] == 5  # 1001 x2, 1002 x2, 1003
        await until(lambda: shows("SKU-1003", 500))  # the cached answers were dropped
        await until(lambda: shows("SKU-1001", 50))
        assert await shows("SKU-1002", 14)  # 5 + the book's 9, untouched
        again = await run_to_end(hub, {"checks": ["stock"]})
        assert [f["subject"] for f in again["findings"]] == ["SKU-1002@STORE-NYC"]


async def test_runs_are_started_over_http_listed_read_back_and_audited(own_url: str) -> None:
    async with opened(own_url) as (hub, _):
        first = await run_to_end(hub)
        assert first["trigger"] == "operator" and first["who"].startswith("bootstrap")
        assert first["checks"] == ["erp_orders", "stock", "storefront_levels"] and first["status"] == "completed"
        second = await run_to_end(hub, {"checks": ["stock"]})
        listed = await hub.http.get(PATH, params={"limit": 1}, headers=ADMIN)
        assert listed.status_code == 200 and [r["id"] for r in listed.json()["items"]] == [second["id"]]
        older = await hub.http.get(PATH, params={"limit": 1, "cursor": listed.json()["next_cursor"]}, headers=ADMIN)
        assert [r["id"] for r in older.json()["items"]] == [first["id"]] and older.json()["next_cursor"] is None
        audit = (await hub.http.get("/admin/v1/audit", headers=ADMIN)).json()["items"]
        assert [(e["action"], e["subject"]) for e in audit[:2]] == [
            ("reconciliations.start", second["id"]), ("reconciliations.start", first["id"])]
        document = (await hub.http.get("/openapi/admin-v1.json")).json()
        assert {"/admin/v1/reconciliations", "/admin/v1/reconciliations/{run_id}"} <= document["paths"].keys()
        assert "post" in document["paths"]["/admin/v1/reconciliations"]


async def test_concurrent_starts_make_one_run_and_409s(own_url: str) -> None:
    async with opened(own_url) as (hub, _):
        headers = {"X-API-Key": await hub.new_key("catalog:read")}
        assert (await hub.http.get("/v1/storefront/products/SKU-1001", headers=headers)).status_code == 200
        faults = await hub.http.put("/sandbox/wms/faults", json={"latency_ms": 1000})  # the run takes a while
        assert faults.status_code == 200, faults.text
        answers = await asyncio.gather(*(hub.http.post(PATH, headers=ADMIN) for _ in range(6)))
        assert sorted(a.status_code for a in answers) == [202] + [409] * 5
        for refused in (a for a in answers if a.status_code == 409):
            assert_problem(refused, 409, "reconciliation_running")
        listed = (await hub.http.get(PATH, headers=ADMIN)).json()["items"]
        assert len(listed) == 1 and listed[0]["status"] == "running"
        await hub.http.delete("/sandbox/wms/faults")
        [started] = [a.json() for a in answers if a.status_code == 202]
        await until(lambda: _finished(hub, started["id"]))
        assert (await hub.http.post(PATH, headers=ADMIN)).status_code == 202  # then the next one may start


async def _finished(hub: Hub, run_id: str) -> bool:
    return (await hub.http.get(f"{PATH}/{run_id}", headers=ADMIN)).json()["status"] != "running"


async def test_bad_input(hub: Hub) -> None:
    for body, field in (({"checks": ["stock", "nope"]}, "checks[1]"), ({"checks": []}, "checks"),
                        ({"checks": "stock"}, "checks"), ({"checks": [""]}, "checks[0]"), ({"other": 1}, "body")):
        answer = await hub.http.post(PATH, json=body, headers=ADMIN)
        assert_field_errors(answer, field)
    malformed = await hub.http.post(PATH, content=b"{nope", headers={**ADMIN, "Content-Type": "application/json"})
    assert_problem(malformed, 400, "malformed_json")
    for run_id in ("999999", "abc", "1" * 30):
        assert_problem(await hub.http.get(f"{PATH}/{run_id}", headers=ADMIN), 404, "unknown_reconciliation")
    assert_field_errors(await hub.http.get(PATH, params={"cursor": "x"}, headers=ADMIN), "cursor")
    assert_field_errors(await hub.http.get(PATH, params={"limit": 0}, headers=ADMIN), "limit")
    key = await hub.new_key("catalog:read")
    assert (await hub.http.post(PATH, headers={"X-API-Key": key})).status_code == 403
    assert (await hub.http.get(PATH, headers=ADMIN)).json() == {"items": [], "next_cursor": None}


async def test_the_workers_run_it_on_schedule(sqlite_url: str) -> None:
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, reconcile_interval_seconds=1))

        async def scheduled() -> list[dict]:
            runs = (await hub.http.get(PATH, headers=ADMIN)).json()["items"]
            return [r for r in runs if r["trigger"] == "schedule" and r["status"] == "completed"]

        [run, *_] = await until(scheduled)
        assert run["who"] is None and run["checks"] == ["erp_orders", "stock", "storefront_levels"]
