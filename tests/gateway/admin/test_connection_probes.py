"""Active health checks seen at GET /admin/v1/connections, on SQLite and PostgreSQL: a backend
that is down while nothing calls it is ``down`` (its probe failed, its circuit untouched), and
``ok`` again on the next round once it is back; ``POST .../probe`` probes now; with
HUB_CONNECTION_PROBE_SECONDS=0 nothing is probed and health follows the circuit alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import delete

from shared.db.engine import create_engine, dispose
from shared.db.tables import backend_pauses, backend_reports
from system_apis.registry import KINDS
from tests.conftest import Hub, make_settings, start_hub
from tests.gateway.admin.ops_support import ADMIN, FAST, admin_get, by_name
from tests.gateway.support import eventually

SECRETS = ("shpat_sandbox", "credential", "sk_", "password", "Traceback", "service_unavailable")


async def _hub(stack: AsyncExitStack, database_url: str, seconds: float) -> Hub:
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # PostgreSQL is shared by the session: no earlier reports
        for table in (backend_pauses, backend_reports):
            await conn.execute(delete(table))
    await dispose(engine)
    return await start_hub(stack, make_settings(database_url, **{**FAST, "connection_probe_seconds": seconds}))


@pytest.fixture
async def probing_hub(database_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        hub = await _hub(stack, database_url, 0.2)
        yield hub
        await hub.http.delete("/sandbox/erp/faults")


async def _connections(hub: Hub) -> dict[str, dict]:
    return by_name((await admin_get(hub, "connections"))["items"], "backend")


async def test_an_idle_backend_that_is_down_shows_down_and_recovers_on_the_next_round(probing_hub: Hub) -> None:
    seen: dict = {}

    async def all_up() -> bool:
        seen.update(await _connections(probing_hub))
        return all(c["health"] == "ok" and c["probe"] and c["probe"]["state"] == "up" for c in seen.values())

    await eventually(all_up, 15)
    assert set(seen["erp"]["probe"]) == {"state", "checked_at", "latency_ms", "detail"}
    assert seen["erp"]["probe"]["detail"] == "answered 200"
    # No order, no call: only the probe can tell the ERP is down.
    assert (await probing_hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200

    async def erp_down() -> bool:
        seen.update(await _connections(probing_hub))
        return seen["erp"]["health"] == "down"

    await eventually(erp_down, 15)
    erp = seen["erp"]
    assert erp["probe"]["state"] == "down" and erp["probe"]["detail"] == "answered 503" and erp["circuit"] == "closed"
    assert seen["wms"]["health"] == "ok" and not any(s in str(seen) for s in SECRETS)
    backends = by_name((await admin_get(probing_hub, "backends"))["items"], "backend")
    assert backends["erp"]["probe"]["state"] == "down" and backends["erp"]["circuit"] == "closed"
    assert (await probing_hub.http.delete("/sandbox/erp/faults")).status_code == 200

    async def erp_back() -> bool:
        seen.update(await _connections(probing_hub))
        return seen["erp"]["health"] == "ok" and seen["erp"]["probe"]["state"] == "up"

    await eventually(erp_back, 15)


async def test_a_store_system_down_with_no_traffic_is_not_ok(probing_hub: Hub) -> None:
    """The regression: on main the POS stays ``ok`` however long it is down, as nothing calls it."""
    assert (await probing_hub.http.put("/sandbox/pos/faults", json={"outage": True})).status_code == 200
    try:
        async def pos_down() -> bool:
            return (await _connections(probing_hub))["pos"]["health"] == "down"

        await eventually(pos_down, 10)
    finally:
        await probing_hub.http.delete("/sandbox/pos/faults")


async def test_probe_now_answers_the_connection_with_a_fresh_probe(probing_hub: Hub) -> None:
    before = await _connections(probing_hub)
    response = await probing_hub.http.post("/admin/v1/connections/shopify/probe", headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["backend"] == "shopify" and body["probe"]["state"] == "up" and body["health"] == "ok"
    assert before["shopify"]["probe"] is None or body["probe"]["checked_at"] >= before["shopify"]["probe"]["checked_at"]
    assert "shpat_sandbox" not in response.text
    missing = await probing_hub.http.post("/admin/v1/connections/nope/probe", headers=ADMIN)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    refused = await probing_hub.http.post("/admin/v1/connections/erp/probe")
    assert refused.status_code == 401


async def test_zero_turns_probing_off_and_health_follows_the_circuit(database_url: str) -> None:
    async with AsyncExitStack() as stack:
        hub = await _hub(stack, database_url, 0)
        try:
            assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
            connections = await _connections(hub)
            assert all(c["probe"] is None and c["health"] == "ok" for c in connections.values())
            conflict = await hub.http.post("/admin/v1/connections/erp/probe", headers=ADMIN)
            assert conflict.status_code == 409 and conflict.json()["code"] == "conflict"
        finally:
            await hub.http.delete("/sandbox/erp/faults")


async def test_every_kind_probes_up_through_the_whole_hub(sqlite_url: str) -> None:
    """One connection of every registered kind beside the defaults, each reached as the hub reaches
    it (its credential's headers, its options' defaults, the in-process sandbox)."""
    extra = {f"probe-{name}": {"kind": name, **({"locations": [f"P{n}-"]} if {"stock", "fulfilment"} &
                                                 set(kind.adapters) else {}),
                               **({"erp_role": "secondary"} if name == "quickbooks" else {})}
             for n, (name, kind) in enumerate(KINDS.items()) if "erp" not in kind.adapters or name == "quickbooks"}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, connection_probe_seconds=0.2, connections=extra))
        seen: dict = {}

        async def all_up() -> bool:
            seen.update(await _connections(hub))
            return all(c["probe"] and c["probe"]["state"] == "up" for c in seen.values())

        await eventually(all_up, 20)
    assert {c["kind"] for c in seen.values()} >= set(KINDS) - {"netsuite", "legacy_erp"}
