"""GET /v2/storefront/products/{sku} and POST /v2/storefront/price-availability: v1's
answers with money as `{amount, currency}` objects."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Hub
from tests.experience_apis.versions.conftest import call, ok
from tests.gateway.support import api, assert_field_errors, assert_problem

V2_FIELDS = {"sku", "name", "quantity", "unit_price", "list_price", "price_source", "orderable",
             "available_quantity", "in_stock", "locations", "as_of", "stock_partial", "missing_sources"}


def as_v2(v1: dict[str, Any]) -> dict[str, Any]:
    """What v2 answers for a v1 answer (as_of aside)."""
    body = {k: v for k, v in v1.items() if k not in ("currency", "as_of")}
    for field in ("unit_price", "list_price"):
        body[field] = {"amount": v1[field], "currency": v1["currency"]}
    return body


async def both(hub: Hub, key: str, sku: str, **params: Any) -> tuple[dict, dict]:
    v1 = ok(await call(hub, key, f"/v1/storefront/products/{sku}", **params))
    v2 = ok(await call(hub, key, f"/v2/storefront/products/{sku}", **params))
    return v1, v2


@pytest.mark.parametrize(("sku", "quantity"), [("SKU-1001", 1), ("SKU-1001", 10), ("SKU-1002", 1), ("SKU-1004", 1)])
async def test_a_guest_gets_v1_values_with_money_objects(hub: Hub, sku: str, quantity: int) -> None:
    v1, v2 = await both(hub, await hub.new_key("catalog:read"), sku, quantity=quantity)
    assert set(v2) == V2_FIELDS
    assert {k: v for k, v in v2.items() if k != "as_of"} == as_v2(v1)
    assert v2["as_of"].endswith("Z")


@pytest.mark.parametrize("quantity", [1, 10])
async def test_acme_named_by_a_trusted_backend_gets_its_contract_price(hub: Hub, quantity: int) -> None:
    key = await hub.new_key("catalog:read", "customers:any")
    v1, v2 = await both(hub, key, "SKU-1001", quantity=quantity, customer_id="CUST-ACME")
    assert {k: v for k, v in v2.items() if k != "as_of"} == as_v2(v1)
    assert (v2["unit_price"], v2["list_price"], v2["price_source"]) == (
        {"amount": "99.00", "currency": "USD"}, {"amount": "129.00", "currency": "USD"}, "contract")


async def test_the_basket_carries_money_objects_and_nulls_for_unpriced_lines(hub: Hub) -> None:
    body = {"customer_id": "CUST-ACME", "lines": [{"sku": "SKU-1001", "quantity": 2}, {"sku": "SKU-9999", "quantity": 1}]}
    key = await hub.new_key("catalog:read", "customers:any")
    response = await hub.http.post("/v2/storefront/price-availability", json=body, headers=api(key))
    answer = ok(response)
    assert set(answer) == {"lines", "total"}
    assert answer["total"] == {"amount": "198.00", "currency": "USD"}
    drill, unknown = answer["lines"]
    assert (drill["unit_price"], drill["extended_price"], drill["status"]) == (
        {"amount": "99.00", "currency": "USD"}, {"amount": "198.00", "currency": "USD"}, "ok")
    assert (unknown["status"], unknown["unit_price"], unknown["extended_price"]) == ("unknown_sku", None, None)


async def test_v2_keeps_v1s_errors_and_scope(hub: Hub) -> None:
    guest = await hub.new_key("catalog:read")
    assert_problem(await call(hub, guest, "/v2/storefront/products/SKU-9999"), 404, "unknown_sku")
    assert_field_errors(await call(hub, guest, "/v2/storefront/products/SKU-1001", quantity=0), "quantity")
    no_scope = await hub.new_key("orders:read")
    assert_problem(await call(hub, no_scope, "/v2/storefront/products/SKU-1001"), 403, "insufficient_scope")
    assert_problem(await call(hub, guest, "/v2/storefront/products/SKU-1001", customer_id="CUST-ACME"),
                   403, "customer_forbidden")
