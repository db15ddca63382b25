"""GET /v1/storefront/products/{sku}: CONTRACT section 3 on the seed data of section 9."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import Hub
from tests.experience_apis.storefront.v1.conftest import ok, product
from tests.gateway.support import assert_field_errors, assert_problem

FIELDS = {"sku", "name", "currency", "quantity", "unit_price", "list_price", "price_source", "orderable",
          "available_quantity", "in_stock", "locations", "as_of"}


async def test_a_guest_sees_the_list_price_and_stock_by_location(either_hub: Hub) -> None:
    body = ok(await product(either_hub, await either_hub.new_key("catalog:read")))
    assert FIELDS <= body.keys()
    assert (body["sku"], body["name"], body["currency"], body["quantity"]) == ("SKU-1001", "Cordless Drill 18V", "USD", 1)
    assert (body["unit_price"], body["list_price"], body["price_source"]) == ("129.00", "129.00", "list")
    assert body["locations"] == [{"location": "DC-EAST", "available": 40}, {"location": "DC-WEST", "available": 10}]
    # what an order may take: the locations' 50 less the holds of orders accepted earlier on this
    # database (the PostgreSQL one is shared by the session's tests)
    assert 0 < body["available_quantity"] <= 50 and (body["in_stock"], body["orderable"]) == (True, True)


async def test_as_of_is_a_recent_utc_time(hub: Hub, guest: str) -> None:
    as_of = ok(await product(hub, guest))["as_of"]
    assert as_of.endswith("Z")
    moment = datetime.fromisoformat(as_of.replace("Z", "+00:00"))
    assert abs(datetime.now(UTC) - moment) < timedelta(minutes=1)


async def test_ten_units_reach_the_quantity_break(hub: Hub, guest: str) -> None:
    body = ok(await product(hub, guest, quantity=10))
    assert (body["unit_price"], body["price_source"], body["list_price"], body["quantity"]) == ("119.00", "break", "129.00", 10)


@pytest.mark.parametrize("quantity", [1, 10])
async def test_acme_pays_its_contract_price_at_every_quantity_when_named(hub: Hub, trusted: str, quantity: int) -> None:
    body = ok(await product(hub, trusted, quantity=quantity, customer_id="CUST-ACME"))
    assert (body["unit_price"], body["price_source"]) == ("99.00", "contract")


@pytest.mark.parametrize("quantity", [1, 10])
async def test_a_key_bound_to_acme_naming_no_customer_acts_for_acme(either_hub: Hub, quantity: int) -> None:
    key = await either_hub.new_key("catalog:read", customer="CUST-ACME")
    body = ok(await product(either_hub, key, quantity=quantity))
    assert (body["unit_price"], body["price_source"]) == ("99.00", "contract")


async def test_a_customer_without_a_contract_pays_list_or_break(hub: Hub, trusted: str) -> None:
    assert ok(await product(hub, trusted, customer_id="CUST-BOLT"))["unit_price"] == "129.00"
    assert ok(await product(hub, trusted, quantity=10, customer_id="CUST-BOLT"))["unit_price"] == "119.00"


async def test_a_contract_price_never_reaches_a_guest_after_a_customer_asked(hub: Hub, trusted: str, guest: str) -> None:
    ok(await product(hub, trusted, customer_id="CUST-ACME"))
    assert ok(await product(hub, guest))["unit_price"] == "129.00"


async def test_stock_in_a_warehouse_and_a_store_adds_up(hub: Hub, guest: str) -> None:
    body = ok(await product(hub, guest, "SKU-1002"))
    assert body["locations"] == [{"location": "DC-WEST", "available": 5}, {"location": "STORE-NYC", "available": 3}]
    assert (body["available_quantity"], body["unit_price"]) == (8, "24.50")


async def test_a_discontinued_item_is_not_orderable_and_out_of_stock(hub: Hub, guest: str) -> None:
    body = ok(await product(hub, guest, "SKU-1004"))
    assert (body["orderable"], body["in_stock"], body["available_quantity"], body["locations"]) == (False, False, 0, [])


async def test_an_unknown_sku_is_404_unknown_sku(either_hub: Hub) -> None:
    response = await product(either_hub, await either_hub.new_key("catalog:read"), "SKU-9999")
    assert_problem(response, 404, "unknown_sku")


async def test_an_unknown_customer_is_422_unknown_customer(hub: Hub, trusted: str) -> None:
    assert_problem(await product(hub, trusted, customer_id="CUST-NOPE"), 422, "unknown_customer")


async def test_another_currency_is_422_unsupported_currency(hub: Hub, guest: str) -> None:
    assert_problem(await product(hub, guest, currency="EUR"), 422, "unsupported_currency")


@pytest.mark.parametrize(("params", "field"), [
    ({"quantity": 0}, "quantity"), ({"quantity": -1}, "quantity"), ({"quantity": "two"}, "quantity"),
    ({"currency": "usd"}, "currency"),
])
async def test_bad_query_parameters_are_422_naming_them(hub: Hub, guest: str, params: dict, field: str) -> None:
    assert_field_errors(await product(hub, guest, **params), field)
