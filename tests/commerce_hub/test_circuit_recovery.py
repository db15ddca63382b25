"""Issue 10, defects 14 and 15 through the whole one-process hub.

15: clearing a sandbox fault (or resetting the sandbox) closes that backend's
circuit at once, instead of 503 ``circuit_open`` for the open period.
"""

from __future__ import annotations

import pytest

from tests.conftest import Hub



async def _open_erp_circuit(hub: Hub, headers: dict) -> None:
    """SKUs the ERP replica does not hold are read live (the seed's are answered from the replica)."""
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    for _ in range(4):  # three attempts each: past the failure threshold
        answer = await hub.http.get("/v1/storefront/products/SKU-9003", headers=headers)
        assert answer.status_code == 503
    refused = await hub.http.get("/v1/storefront/products/SKU-9002", headers=headers)
    assert refused.status_code == 503 and refused.json()["code"] == "circuit_open"


@pytest.mark.parametrize("heal", ["clear", "reset", "patch"])
async def test_a_cleared_sandbox_fault_closes_the_circuit_at_once(hub: Hub, heal: str) -> None:
    headers = {"X-API-Key": await hub.new_key("catalog:read")}
    await _open_erp_circuit(hub, headers)
    if heal == "clear":
        assert (await hub.http.delete("/sandbox/erp/faults")).status_code == 200
    elif heal == "reset":
        assert (await hub.http.post("/sandbox/reset")).status_code == 200
    else:
        assert (await hub.http.put("/sandbox/erp/faults", json={"outage": False})).status_code == 200
    answer = await hub.http.get("/v1/storefront/products/SKU-9002", headers=headers)
    assert answer.status_code == 404, answer.text  # the ERP asked again, and it answered
    assert answer.json()["code"] == "unknown_sku"
