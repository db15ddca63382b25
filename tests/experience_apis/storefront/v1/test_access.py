"""Who may ask the storefront what (CONTRACT sections 1 and 2): keys, scopes, customers."""

from __future__ import annotations

import pytest

from tests.conftest import Hub
from tests.experience_apis.storefront.v1.conftest import BASKET, PRODUCTS, basket, ok, product
from tests.gateway.support import api, assert_problem

CREDENTIALS = [
    {}, {"X-API-Key": "chub_not-a-real-key"}, {"X-API-Key": ""}, {"Authorization": "Bearer not.a.token"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
]


@pytest.mark.parametrize("headers", CREDENTIALS)
@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_missing_or_invalid_credentials_are_401_with_www_authenticate(hub: Hub, headers: dict, method: str) -> None:
    path = f"{PRODUCTS}/SKU-1001" if method == "GET" else BASKET
    response = await hub.http.request(method, path, headers=headers, json={"lines": [{"sku": "SKU-1001", "quantity": 1}]})
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"]


async def test_a_key_without_catalog_read_is_403_insufficient_scope(hub: Hub) -> None:
    key = await hub.new_key("orders:read", "customers:any")
    assert_problem(await product(hub, key), 403, "insufficient_scope")
    assert_problem(await basket(hub, key, ("SKU-1001", 1)), 403, "insufficient_scope")


async def test_the_scope_is_checked_before_the_body(hub: Hub) -> None:
    key = await hub.new_key("orders:read")
    response = await hub.http.post(BASKET, content=b"{not json", headers=api(key, **{"content-type": "application/json"}))
    assert_problem(response, 403, "insufficient_scope")


@pytest.mark.parametrize("call", ["product", "basket"])
async def test_a_key_bound_to_bolt_may_not_name_acme(hub: Hub, call: str) -> None:
    key = await hub.new_key("catalog:read", customer="CUST-BOLT")
    if call == "product":
        response = await product(hub, key, customer_id="CUST-ACME")
    else:
        response = await basket(hub, key, ("SKU-1001", 1), customer_id="CUST-ACME")
    assert_problem(response, 403, "customer_forbidden")


async def test_a_bound_key_may_name_its_own_customer(hub: Hub) -> None:
    key = await hub.new_key("catalog:read", customer="CUST-ACME")
    assert ok(await product(hub, key, customer_id="CUST-ACME"))["price_source"] == "contract"


async def test_a_guest_key_may_not_name_a_customer(hub: Hub, guest: str) -> None:
    assert_problem(await product(hub, guest, customer_id="CUST-ACME"), 403, "customer_forbidden")


async def test_customers_any_lets_a_bound_key_name_another_customer(hub: Hub) -> None:
    key = await hub.new_key("catalog:read", "customers:any", customer="CUST-BOLT")
    assert ok(await product(hub, key, customer_id="CUST-ACME"))["unit_price"] == "99.00"
    assert ok(await product(hub, key))["unit_price"] == "129.00"  # naming none: its own customer, BOLT


async def test_a_basket_from_a_bound_key_is_priced_for_its_customer(hub: Hub) -> None:
    key = await hub.new_key("catalog:read", customer="CUST-ACME")
    line = ok(await basket(hub, key, ("SKU-1001", 1)))["lines"][0]
    assert (line["unit_price"], line["price_source"]) == ("99.00", "contract")
