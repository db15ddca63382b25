"""The `console` scope (issue 12): a key that signs in to /console and uses the operator's
views and actions through the admin API, on SQLite and PostgreSQL, over HTTP through the edge.
Each admin route, and which scope may call it: keys, plans and the other admin-only routes
answer a console key 403 with a problem; an unrelated scope is 403 everywhere."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from shared.db.engine import create_engine, dispose
from shared.db.tables import dead_letters
from tests.conftest import Hub
from tests.gateway.admin.ops_support import ADMIN, ops_hub  # noqa: F401 - the fixture
from tests.gateway.support import assert_problem, database_url  # noqa: F401 - the fixture

OPERATOR_ROUTES = [  # (method, path, body): `admin` or `console`
    ("GET", "session", None), ("GET", "flows", None), ("GET", "journeys?ref=WEB-none", None),
    ("GET", "backends", None), ("POST", "backends/erp/pause", None), ("POST", "backends/erp/resume", None),
    ("GET", "alerts", None), ("GET", "connections", None), ("GET", "dead-letters", None),
    ("GET", "dead-letters/dl_none", None), ("POST", "dead-letters/dl_none/replay", None),
    ("POST", "dead-letters/dl_none/resolve", {"note": "n"}), ("POST", "dead-letters/replay", {"dry_run": True}),
    ("GET", "audit", None),
]
ADMIN_ROUTES = [  # `admin` only
    ("GET", "keys", None), ("POST", "keys", {"consumer": "x", "scopes": ["admin"]}), ("GET", "keys/key_none", None),
    ("POST", "keys/key_none/rotate", None), ("DELETE", "keys/key_none", None), ("GET", "plans", None),
    ("PUT", "plans/standard", {"rate_per_second": 20, "burst": 40}), ("POST", "cache/purge", {}),
    ("DELETE", "dead-letters/dl_none", None), ("GET", "returns/rma_none", None),
    ("POST", "returns/rma_none/approve", None), ("POST", "returns/rma_none/reject", {"reason": "r"}),
    ("GET", "reconciliations", None), ("POST", "reconciliations", {}),
]


@pytest.fixture
async def console_key(ops_hub: Hub) -> str:  # noqa: F811
    return await ops_hub.new_key("console")


async def call(hub: Hub, method: str, path: str, body: dict | None, key: str):  # noqa: ANN201
    return await hub.http.request(method, f"/admin/v1/{path}", json=body, headers={"X-API-Key": key})


@pytest.mark.parametrize(("method", "path", "body"), OPERATOR_ROUTES)
async def test_a_console_key_may_call_the_operator_routes(ops_hub: Hub, console_key: str, method: str, path: str,  # noqa: F811
                                                          body: dict | None) -> None:
    answered = await call(ops_hub, method, path, body, console_key)
    assert answered.status_code in (200, 202, 404), answered.text  # 404: the named letter does not exist
    if answered.status_code == 404:
        assert answered.json()["code"] != "insufficient_scope"
    assert_problem(await call(ops_hub, method, path, body, await ops_hub.new_key("orders:read")), 403,
                   "insufficient_scope")


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_key_plan_and_other_admin_routes_refuse_a_console_key(ops_hub: Hub, console_key: str, method: str,  # noqa: F811
                                                                    path: str, body: dict | None) -> None:
    refused = assert_problem(await call(ops_hub, method, path, body, console_key), 403, "insufficient_scope")
    assert "'admin'" in refused["detail"]
    answered = await ops_hub.http.request(method, f"/admin/v1/{path}", json=body, headers=ADMIN)
    assert answered.status_code != 403, answered.text  # the admin key passes the guard (then 2xx, 404 or 422)


async def test_the_session_names_the_key_and_whether_it_is_an_admin(ops_hub: Hub, console_key: str) -> None:  # noqa: F811
    mine = (await call(ops_hub, "GET", "session", None, console_key)).json()
    assert mine["scopes"] == ["console"] and mine["admin"] is False and mine["key_id"].startswith("key_")
    assert "key" not in mine and console_key not in str(mine)
    assert (await ops_hub.http.get("/admin/v1/session", headers=ADMIN)).json()["admin"] is True
    assert_problem(await ops_hub.http.get("/admin/v1/session"), 401, "unauthorized")


async def test_a_console_key_replays_and_resolves_and_the_audit_names_it(ops_hub: Hub, console_key: str,  # noqa: F811
                                                                         database_url: str) -> None:  # noqa: F811
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(insert(dead_letters), [
            {"id": f"dl_console_{i}", "topic": "order.accepted", "key": f"O-console-{i}", "payload": "{}",
             "attempts": 1, "reason": "credit_hold: on hold", "dead_at": datetime.now(UTC)} for i in range(2)])
    await dispose(engine)
    assert (await call(ops_hub, "POST", "dead-letters/dl_console_0/replay", None, console_key)).status_code == 202
    resolved = await call(ops_hub, "POST", "dead-letters/dl_console_1/resolve", {"note": "settled"}, console_key)
    assert resolved.status_code == 200, resolved.text
    who = (await call(ops_hub, "GET", "session", None, console_key)).json()
    entries = (await call(ops_hub, "GET", "audit?limit=10", None, console_key)).json()["items"]
    mine = {e["subject"]: e for e in entries if e["actor"]["key_id"] == who["key_id"]}
    assert {mine["dl_console_0"]["action"], mine["dl_console_1"]["action"]} == {
        "dead_letters.replay", "dead_letters.resolve"}
    assert mine["dl_console_1"]["actor"]["consumer"] == who["consumer"]
