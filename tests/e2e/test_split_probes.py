"""Probes made in the split ``system`` role are seen at the ``gateway`` role's
GET /admin/v1/connections, over real HTTP: every connection up, then the ERP down while nothing
calls it (the sandbox role's outage fault), then up again on a later round. The results travel
with the backend reports through the shared database, as the circuits do."""

from __future__ import annotations

import os
import time

import httpx
import pytest

from tests.e2e.conftest import free_port

ADMIN = {"X-API-Key": "e2e-probes-admin-key-0123456789"}
pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def _ports(count: int) -> list[int]:
    """``HUB_TEST_PORT_BASE`` (a helper's own port range) or free ports."""
    base = os.environ.get("HUB_TEST_PORT_BASE")
    return [int(base) + n for n in range(count)] if base else [free_port() for _ in range(count)]


def _until(condition, timeout: float) -> dict:  # noqa: ANN001
    deadline, seen = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        seen = condition()
        if seen.get("ok"):
            return seen
        time.sleep(0.2)  # polling for a condition, bounded by the deadline
    raise AssertionError(f"not within {timeout} s: {seen}")


def test_the_gateway_shows_the_system_roles_probes(spawn, fresh_pg_url):
    sandbox, system, gateway = _ports(3)
    env = {"HUB_DATABASE_URL": fresh_pg_url, "HUB_SANDBOX": "1", "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN["X-API-Key"],
           "HUB_SANDBOX_URL": f"http://127.0.0.1:{sandbox}", "HUB_SYSTEM_URL": f"http://127.0.0.1:{system}",
           "HUB_PROCESS_URL": "http://127.0.0.1:9", "HUB_EXPERIENCE_URL": "http://127.0.0.1:9",
           "HUB_CONNECTION_PROBE_SECONDS": "0.5", "HUB_OPS_REPORT_SECONDS": "0.5"}
    roles = [spawn("sandbox", env, sandbox), spawn("system", env, system), spawn("gateway", env, gateway)]
    for process in roles:
        process.wait_ready(60)
    url = roles[2].url

    def erp(health: str, state: str):  # noqa: ANN202
        def seen() -> dict:
            items = httpx.get(f"{url}/admin/v1/connections", headers=ADMIN, timeout=5).json()["items"]
            found = {c["backend"]: c for c in items}["erp"]
            return {"ok": found["health"] == health and (found["probe"] or {}).get("state") == state, "erp": found}
        return seen

    assert _until(erp("ok", "up"), 30)["erp"]["probe"]["detail"] == "answered 200"
    assert httpx.put(f"{roles[0].url}/sandbox/erp/faults", json={"outage": True}, timeout=5).status_code == 200
    try:
        down = _until(erp("down", "down"), 30)["erp"]
        assert down["circuit"] == "closed" and down["probe"]["detail"] == "answered 503"
        # The gateway does not hold the adapters: probing now is the system role's.
        assert httpx.post(f"{url}/admin/v1/connections/erp/probe", headers=ADMIN, timeout=5).status_code == 409
    finally:
        httpx.delete(f"{roles[0].url}/sandbox/erp/faults", timeout=5)
    _until(erp("ok", "up"), 30)
