"""HUB_WORKER_CONCURRENCY=0: an ``all`` process that serves requests only. Its accepted
orders wait in the outbox for a process that runs workers."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from commerce_hub.preflight import preflight
from shared.settings import SettingsError
from tests.commerce_hub.orders_support import GUEST_ORDER, key, wait_status
from tests.conftest import make_settings, start_hub


async def test_orders_accepted_without_workers_are_posted_by_a_process_that_has_them(sqlite_url: str) -> None:
    async with AsyncExitStack() as stack:
        front = await start_hub(stack, make_settings(sqlite_url, worker_concurrency=0))
        ready = (await front.http.get("/health/ready")).json()
        assert "outbox" not in ready["checks"]  # no workers here, so no outbox lag of its own to report
        headers = {"X-API-Key": await front.new_key("orders:write", "orders:read")}
        placed = await front.http.post("/v1/storefront/orders", json=GUEST_ORDER, headers={**headers, **key()})
        assert placed.status_code == 201, placed.text
        order_id = placed.json()["order_id"]

        back = await start_hub(stack, make_settings(sqlite_url))  # the same database, with workers
        assert "outbox" in (await back.http.get("/health/ready")).json()["checks"]
        done = await wait_status(back.http, headers, order_id, "released")
        assert [h["status"] for h in done["history"]] == ["accepted", "posted", "released"]
        assert (await front.http.get(f"/v1/storefront/orders/{order_id}", headers=headers)).json()["status"] == "released"


@pytest.mark.parametrize("role, concurrency", [("worker", 0), ("all", -1)])
def test_preflight_refuses_a_worker_without_concurrency(sqlite_url: str, role: str, concurrency: int) -> None:
    with pytest.raises(SettingsError, match="HUB_WORKER_CONCURRENCY"):
        preflight(make_settings(sqlite_url, worker_concurrency=concurrency), role)
