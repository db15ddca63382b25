"""The hub as a newcomer runs it: `hub serve` processes spoken to over real HTTP.

The same walkthrough runs against the one-process hub on SQLite and against
the five split roles on PostgreSQL; both must give the same answers.
"""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import free_port

ADMIN = "e2e-admin-key-0123456789"
pytestmark = pytest.mark.e2e

WALKTHROUGH = [
    ("GET", "/v1/storefront/products/SKU-1001", None),
    ("GET", "/v1/storefront/products/SKU-1001?customer_id=CUST-ACME", None),
    ("GET", "/v1/storefront/products/SKU-1001?quantity=10", None),
    ("GET", "/v1/storefront/products/SKU-1001?quantity=10&customer_id=CUST-ACME", None),
    ("GET", "/v1/storefront/products/SKU-1002", None),
    ("GET", "/v1/storefront/products/SKU-1004", None),
    ("GET", "/v1/storefront/products/SKU-9999", None),
    ("GET", "/v1/storefront/products/SKU-1001?customer_id=CUST-NOPE", None),
    ("POST", "/v1/storefront/price-availability",
     {"customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-1002", "quantity": 9},
                                            {"sku": "SKU-1004", "quantity": 1}, {"sku": "NOPE-1", "quantity": 1}]}),
    ("POST", "/v1/storefront/price-availability", {"lines": []}),
]


def _walk(base: str) -> list[tuple[int, dict]]:
    with httpx.Client(base_url=base, timeout=10) as client:
        made = client.post("/admin/v1/keys", headers={"X-API-Key": ADMIN},
                           json={"consumer": "e2e-web", "scopes": ["catalog:read", "customers:any"]})
        assert made.status_code == 201, made.text
        headers = {"X-API-Key": made.json()["key"]}
        answers = []
        for method, path, body in WALKTHROUGH:
            response = client.request(method, path, json=body, headers=headers)
            assert response.headers["x-request-id"]
            data = response.json()
            for volatile in ("as_of", "trace_id"):
                data.pop(volatile, None)
            answers.append((response.status_code, data))
        return answers


def test_one_process_hub_answers_the_walkthrough(spawn):
    hub = spawn("all", {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN})
    hub.wait_ready()
    answers = _walk(hub.url)
    guest, acme, guest10, acme10, sku1002, sku1004, unknown, bad_customer, basket, empty = answers
    assert guest == (200, guest[1]) and guest[1]["unit_price"] == "129.00" and guest[1]["price_source"] == "list"
    assert guest[1]["locations"] == [{"location": "DC-EAST", "available": 40}, {"location": "DC-WEST", "available": 10}]
    assert acme[1]["unit_price"] == "99.00" and acme[1]["price_source"] == "contract"
    assert guest10[1]["unit_price"] == "119.00" and guest10[1]["price_source"] == "break"
    assert acme10[1]["unit_price"] == "99.00"
    assert sku1002[1]["available_quantity"] == 8
    assert sku1004[1]["orderable"] is False
    assert unknown[0] == 404 and unknown[1]["code"] == "unknown_sku"
    assert bad_customer[0] == 422 and bad_customer[1]["code"] == "unknown_customer"
    assert [line["status"] for line in basket[1]["lines"]] == ["ok", "insufficient_stock", "not_orderable", "unknown_sku"]
    assert basket[1]["total"] == "198.00"
    assert empty[0] == 422 and empty[1]["errors"][0]["field"] == "lines"


@pytest.mark.postgres
def test_split_roles_on_postgres_answer_as_the_one_process_hub(spawn, fresh_pg_url):
    """Stock answers subtract open holds, so the split hub gets a database with no earlier orders."""
    one = spawn("all", {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN})
    roles = ["sandbox", "system", "process", "experience", "gateway"]
    ports = {role: free_port() for role in roles}
    env = {
        "HUB_DATABASE_URL": fresh_pg_url,
        "HUB_SANDBOX": "1",
        "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN,
        "HUB_SANDBOX_URL": f"http://127.0.0.1:{ports['sandbox']}",
        "HUB_SYSTEM_URL": f"http://127.0.0.1:{ports['system']}",
        "HUB_PROCESS_URL": f"http://127.0.0.1:{ports['process']}",
        "HUB_EXPERIENCE_URL": f"http://127.0.0.1:{ports['experience']}",
    }
    split = [spawn(role, env, ports[role]) for role in roles]
    for process in [one, *split]:
        process.wait_ready()
    assert _walk(split[-1].url) == _walk(one.url)


def test_forged_identity_is_refused_by_a_split_experience_role(spawn):
    experience = spawn("experience", {"HUB_PROCESS_URL": "http://127.0.0.1:9"})
    experience.wait_ready()
    response = httpx.get(f"{experience.url}/v1/storefront/products/SKU-1001",
                         headers={"X-Hub-Principal": "eyJmYWtlIjp0cnVlfQ.0000"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
