"""Shared by the operations tests (flows, backends, alerts): a one-process hub with fast
timings, and order helpers over HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest
from sqlalchemy import delete

from shared.db.engine import create_engine, dispose
from shared.db.tables import alert_events, alert_states, backend_pauses, backend_reports, dead_letters, outbox
from shared.db.storefront_tables import storefront_levels, storefront_marks

from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub

ADMIN = {"X-API-Key": ADMIN_KEY}
ORDER = {"currency": "USD", "lines": [{"sku": "SKU-1003", "quantity": 1, "unit_price": "8.75"}],
         "payment": {"method": "card", "amount": "8.75", "authorization_id": "pay_auth_123"}}
# Test pacing, not product behaviour: the faults, reports and alerts play out in seconds.
FAST = dict(sandbox_autoship_seconds=0, retry_max_delay_seconds=0.3, breaker_failure_threshold=2,
            breaker_open_seconds=0.5, ops_report_seconds=0.2, ops_alert_interval_seconds=0.1,
            ops_pause_recheck_seconds=0.2, alert_oldest_pending_seconds=1.0, alert_circuit_open_seconds=0.5)


@pytest.fixture
async def ops_hub(database_url: str) -> AsyncIterator[Hub]:
    """PostgreSQL's database is shared by the session: start without others' queue, alerts and pushes."""
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for table in (outbox, dead_letters, alert_states, alert_events, backend_pauses, backend_reports,
                      storefront_levels, storefront_marks):  # earlier tests' pushes (and claims)
            await conn.execute(delete(table))
    await dispose(engine)
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(database_url, **FAST))
        yield hub
        for backend in ("erp", "wms"):
            await hub.http.delete(f"/sandbox/{backend}/faults")
            await hub.http.post(f"/admin/v1/backends/{backend}/resume", headers=ADMIN)


async def place(hub: Hub, key: str, timeout: float = 20.0) -> str:
    """One storefront order, sent again with the same Idempotency-Key on a 503; its id."""
    body, idem = {**ORDER, "channel_order_ref": f"WEB-{uuid.uuid4().hex[:8]}"}, uuid.uuid4().hex
    deadline = time.monotonic() + timeout
    while True:
        response = await hub.http.post("/v1/storefront/orders", json=body,
                                       headers={"X-API-Key": key, "Idempotency-Key": idem})
        if response.status_code == 201:
            return response.json()["order_id"]
        assert response.status_code in (409, 503) and time.monotonic() < deadline, response.text
        await asyncio.sleep(0.1)  # the client's retry pause, bounded by the deadline


async def status_of(hub: Hub, key: str, order_id: str) -> str:
    response = await hub.http.get(f"/v1/storefront/orders/{order_id}", headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    return response.json()["status"]


async def admin_get(hub: Hub, path: str) -> dict:
    response = await hub.http.get(f"/admin/v1/{path}", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def by_name(items: list[dict], field: str) -> dict[str, dict]:
    return {item[field]: item for item in items}
