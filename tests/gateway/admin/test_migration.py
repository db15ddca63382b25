"""The ERP migration's admin routes on a one-process hub with QuickBooks as the secondary ERP,
on SQLite and PostgreSQL: a price changed in one ERP only shows as a counted difference, a
switch of the primary moves new orders without a restart, and every order is in one ERP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import delete

from shared.db.engine import create_engine, dispose
from shared.db.migration_tables import erp_diff_counts, erp_diff_samples, erp_owners, erp_routing_state
from tests.conftest import Hub, make_settings, start_hub
from tests.gateway.admin.ops_support import ADMIN, FAST, ops_hub, place  # noqa: F401
from tests.gateway.support import assert_problem, eventually

SECONDARY = {"qbo": {"kind": "quickbooks", "erp_role": "secondary"}}


@pytest.fixture
async def moving_hub(database_url: str) -> AsyncIterator[Hub]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # PostgreSQL's database is shared by the session
        for table in (erp_owners, erp_routing_state, erp_diff_counts, erp_diff_samples):
            await conn.execute(delete(table))
    await dispose(engine)
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(database_url, connections=SECONDARY, **FAST))


async def diffs(hub: Hub, headers: dict = ADMIN) -> dict:
    response = await hub.http.get("/admin/v1/migration/diffs", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def holders(hub: Hub, order_id: str) -> list[str]:
    found = []
    for backend in ("erp", "quickbooks"):
        response = await hub.http.get(f"/sandbox/{backend}/sales-orders", params={"external_ref": order_id})
        found += [backend for _ in response.json()["items"]]
    return found


async def test_a_price_changed_in_one_erp_only_is_counted_per_field(moving_hub: Hub) -> None:
    first = await diffs(moving_hub)
    assert (first["primary"], first["secondary"], first["mode"]) == ("erp", "qbo", "shadow")
    # CloudERP announces the change; the hub reads the item again through both ERPs.
    response = await moving_hub.http.put("/sandbox/erp/items/SKU-1001/price", json={"list_price": "140.00"})
    assert response.status_code == 200, response.text

    async def counted() -> bool:
        return any(item["field"] == "item.list_price" for item in (await diffs(moving_hub))["items"])

    await eventually(counted, 15)
    (item,) = [i for i in (await diffs(moving_hub))["items"] if i["field"] == "item.list_price"]
    assert item["count"] >= 1
    sample = item["samples"][0]
    assert (sample["key"], sample["primary"], sample["secondary"]) == ("sku:SKU-1001", "140.00", "129.00")
    assert sample["at"].endswith("Z") or "+00:00" in sample["at"]


async def test_console_reads_the_diffs_but_only_admin_switches(moving_hub: Hub) -> None:
    console = {"X-API-Key": await moving_hub.new_key("console")}
    assert (await diffs(moving_hub, console))["secondary"] == "qbo"
    response = await moving_hub.http.post("/admin/v1/migration/primary", json={"connection": "qbo"}, headers=console)
    assert response.status_code == 403, response.text
    response = await moving_hub.http.post("/admin/v1/migration/primary", json={"connection": "wms"}, headers=ADMIN)
    assert_problem(response, 422, "validation_failed")
    response = await moving_hub.http.post("/admin/v1/migration/primary", json={"nope": 1}, headers=ADMIN)
    assert response.status_code in (400, 422), response.text
    response = await moving_hub.http.get("/admin/v1/migration/diffs?samples=101", headers=ADMIN)
    assert response.status_code in (400, 422), response.text
    paths = (await moving_hub.http.get("/openapi/admin-v1.json")).json()["paths"]
    assert paths["/admin/v1/migration/diffs"]["get"]["operationId"] == "listMigrationDiffs"
    assert paths["/admin/v1/migration/primary"]["post"]["operationId"] == "switchErpPrimary"


async def test_switching_the_primary_moves_new_orders_without_a_restart(moving_hub: Hub) -> None:
    key = await moving_hub.new_key("orders:read", "orders:write")
    before = await place(moving_hub, key)
    await eventually(lambda: _in(moving_hub, before, ["erp"]), 20)

    response = await moving_hub.http.post("/admin/v1/migration/primary", json={"connection": "qbo"}, headers=ADMIN)
    assert response.status_code == 200, response.text
    assert (response.json()["primary"], response.json()["secondary"]) == ("qbo", "erp")
    after = await place(moving_hub, key)
    await eventually(lambda: _in(moving_hub, after, ["quickbooks"]), 20)
    assert await holders(moving_hub, before) == ["erp"]
    assert (await diffs(moving_hub))["primary"] == "qbo"


async def test_a_switch_under_concurrent_orders_books_each_in_exactly_one_erp(moving_hub: Hub) -> None:
    key = await moving_hub.new_key("orders:read", "orders:write")

    async def switch(to: str) -> None:
        response = await moving_hub.http.post("/admin/v1/migration/primary", json={"connection": to}, headers=ADMIN)
        assert response.status_code == 200, response.text

    placed = await asyncio.gather(*(place(moving_hub, key) for _ in range(8)), switch("qbo"),
                                  *(place(moving_hub, key) for _ in range(8)))
    ids = [i for i in placed if i is not None]
    for order_id in ids:
        await eventually(lambda: _posted(moving_hub, order_id), 30)
    found = {order_id: await holders(moving_hub, order_id) for order_id in ids}
    assert all(len(h) == 1 for h in found.values()), found
    assert "quickbooks" in {h[0] for h in found.values()}


async def test_a_hub_with_one_erp_has_no_migration(ops_hub: Hub) -> None:  # noqa: F811
    assert await diffs(ops_hub) == {"items": [], "primary": None, "secondary": None, "mode": "off"}
    response = await ops_hub.http.post("/admin/v1/migration/primary", json={"connection": "erp"}, headers=ADMIN)
    assert_problem(response, 409, "no_erp_migration")


async def _posted(hub: Hub, order_id: str) -> bool:
    return len(await holders(hub, order_id)) >= 1


async def _in(hub: Hub, order_id: str, expected: list[str]) -> bool:
    return await holders(hub, order_id) == expected
