"""A 503 from a backend being down says when to come back (issue 10, defect 17)."""

from __future__ import annotations

from tests.conftest import Hub
from tests.gateway.support import api, assert_problem


async def test_a_backend_outage_answers_503_with_retry_after_until_the_circuit_opens(hub: Hub) -> None:
    key = await hub.new_key("catalog:read")
    assert (await hub.http.put("/sandbox/erp/faults", json={"outage": True})).status_code == 200
    codes = set()
    for attempt in range(20):  # bounded: the breaker opens after a few failures
        # SKUs the ERP replica does not hold: read live (the seed's are answered from the replica)
        response = await hub.http.get(f"/v1/storefront/products/SKU-900{attempt % 5 + 1}?quantity={attempt + 1}",
                                      headers=api(key))
        assert response.status_code == 503, response.text
        body = assert_problem(response, 503, response.json()["code"])
        assert int(response.headers["retry-after"]) >= 1, (body, response.headers)
        codes.add(body["code"])
        if body["code"] == "circuit_open":
            break
    assert "circuit_open" in codes, codes
