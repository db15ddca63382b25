"""GET /admin/v1/backends and the maintenance switch, on SQLite and PostgreSQL: an ERP outage
shows as errors and an open circuit (no vendor body), and a paused ERP gets no asynchronous
call until resumed, then exactly one."""

from __future__ import annotations

from sqlalchemy import select

from shared.bus import LocalBus
from shared.db.engine import create_engine, dispose
from shared.db.tables import outbox
from shared.ops.pauses import PauseBook
from tests.conftest import Hub
from tests.gateway.admin.ops_support import ADMIN, admin_get, by_name, ops_hub, place, status_of  # noqa: F401
from tests.gateway.support import assert_problem, eventually

SANDBOX_BACKENDS = {"erp", "wms", "pos", "shopify", "payments"}


async def erp_records(hub: Hub, order_id: str) -> list[dict]:
    response = await hub.http.get("/sandbox/erp/sales-orders", params={"external_ref": order_id})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def test_every_sandbox_backend_is_listed_closed_with_its_connection(ops_hub: Hub) -> None:
    backends = by_name((await admin_get(ops_hub, "backends"))["items"], "backend")
    assert SANDBOX_BACKENDS <= backends.keys()
    for view in backends.values():
        assert view["circuit"] == "closed" and view["paused"] is False
        assert {"error_rate", "p50_ms", "p95_ms", "throttled", "circuit_since", "concurrency_in_use",
                "last_error", "instances"} <= view.keys()
    connections: dict[str, dict] = {}

    async def probed() -> bool:  # health is ``unknown`` until the first probe round (at start) lands
        connections.update(by_name((await admin_get(ops_hub, "connections"))["items"], "backend"))
        return all(c["health"] != "unknown" for c in connections.values())

    await eventually(probed, 10)
    assert SANDBOX_BACKENDS <= connections.keys()
    assert connections["erp"]["base_url"].endswith("/sandbox/erp") and connections["erp"]["serves"] == ["erp:primary"]
    assert {name: c["kind"] for name, c in connections.items()} == {
        "erp": "clouderp", "wms": "shipworks", "pos": "storelink", "shopify": "shopify", "payments": "stripe_like"}
    assert connections["wms"]["roles"] == ["stock", "fulfilment"] and connections["shopify"]["serves"] == ["channel:shopify"]
    assert all(c["health"] == "ok" for c in connections.values())
    assert "shpat_sandbox" not in str(connections) and "credential" not in str(connections)


async def test_a_paused_connection_says_so(ops_hub: Hub) -> None:
    response = await ops_hub.http.post("/admin/v1/backends/pos/pause", headers=ADMIN)
    assert response.status_code == 200, response.text
    try:
        async def seen() -> bool:  # erp: ``unknown`` until the first probe round lands
            connections = by_name((await admin_get(ops_hub, "connections"))["items"], "backend")
            assert connections["pos"]["health"] == "paused"
            return connections["erp"]["health"] == "ok"

        await eventually(seen, 10)
    finally:
        await ops_hub.http.post("/admin/v1/backends/pos/resume", headers=ADMIN)


async def test_an_erp_outage_shows_errors_an_open_circuit_and_no_vendor_body(ops_hub: Hub) -> None:
    key = await ops_hub.new_key("orders:read", "orders:write")
    warm = await place(ops_hub, key)
    await eventually(lambda: _released(ops_hub, key, warm), 20)
    assert (await ops_hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    order_id = await place(ops_hub, key)
    seen: dict = {}

    async def open_circuit() -> bool:
        response = await ops_hub.http.get("/admin/v1/backends", headers=ADMIN)
        seen.update(by_name(response.json()["items"], "backend"))
        seen["text"] = response.text
        return seen["erp"]["circuit"] in ("open", "half_open") and seen["erp"]["error_rate"] > 0

    await eventually(open_circuit, 15)
    erp = seen["erp"]
    assert erp["last_error"]["code"] in ("backend_unavailable", "circuit_open") and erp["circuit_since"]
    assert set(erp["last_error"]) == {"code", "at"} and "Traceback" not in seen["text"]
    assert seen["wms"]["circuit"] == "closed"
    assert (await ops_hub.http.delete("/sandbox/erp/faults")).status_code == 200
    await eventually(lambda: _released(ops_hub, key, order_id), 20)
    assert len(await erp_records(ops_hub, order_id)) == 1


async def _released(hub: Hub, key: str, order_id: str | None) -> bool:
    return order_id is None or await status_of(hub, key, order_id) == "released"


async def test_pause_defers_erp_posting_without_spending_budget_and_resume_posts_once(
        ops_hub: Hub, database_url: str) -> None:
    key = await ops_hub.new_key("orders:read", "orders:write")
    paused = await ops_hub.http.post("/admin/v1/backends/erp/pause", headers=ADMIN)
    assert paused.status_code == 200 and paused.json() == {"backend": "erp", "paused": True}
    again = await ops_hub.http.post("/admin/v1/backends/erp/pause", headers=ADMIN)
    assert again.status_code == 200
    order_id = await place(ops_hub, key)  # synchronous work still reaches the ERP
    engine = create_engine(database_url)
    try:
        assert "erp" in await PauseBook(engine, LocalBus()).current()  # stored: every process sees it

        async def deferred() -> bool:
            async with engine.connect() as conn:
                rows = (await conn.execute(select(outbox.c.last_error, outbox.c.first_attempt_at)
                                           .where(outbox.c.key == order_id))).all()
            return bool(rows) and (rows[0].last_error or "").startswith("backend_paused")

        await eventually(deferred, 10)
        async with engine.connect() as conn:
            row = (await conn.execute(select(outbox.c.first_attempt_at).where(outbox.c.key == order_id))).one()
        assert row.first_attempt_at is None  # a pause spends no retry budget
    finally:
        await dispose(engine)
    assert await status_of(ops_hub, key, order_id) == "accepted"
    assert await erp_records(ops_hub, order_id) == []
    view = by_name((await admin_get(ops_hub, "backends"))["items"], "backend")["erp"]
    assert view["paused"] is True and view["paused_since"]
    resumed = await ops_hub.http.post("/admin/v1/backends/erp/resume", headers=ADMIN)
    assert resumed.status_code == 200 and resumed.json()["paused"] is False
    await eventually(lambda: _released(ops_hub, key, order_id), 10)
    assert len(await erp_records(ops_hub, order_id)) == 1
    assert by_name((await admin_get(ops_hub, "backends"))["items"], "backend")["erp"]["paused"] is False


async def test_an_unknown_backend_cannot_be_paused(ops_hub: Hub) -> None:
    for action in ("pause", "resume"):
        assert_problem(await ops_hub.http.post(f"/admin/v1/backends/nosuch/{action}", headers=ADMIN), 404, "not_found")


async def test_connections_never_show_credentials() -> None:
    from commerce_hub.ops_role import safe_url

    assert safe_url("https://user:s3cret@erp.example.com:8443/api/v2?token=abc#x") == "https://erp.example.com:8443/api/v2"
    assert "s3cret" not in safe_url("https://:s3cret@erp.example.com/")
