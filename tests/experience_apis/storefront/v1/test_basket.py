"""POST /v1/storefront/price-availability: a checkout basket, line by line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.conftest import Hub
from tests.experience_apis.storefront.v1.conftest import BASKET, basket, ok
from tests.gateway.support import api, assert_field_errors, assert_problem

LINE_FIELDS = {"sku", "quantity", "status", "unit_price", "extended_price", "price_source", "available_quantity",
               "stock_partial", "missing_sources"}


async def test_each_line_has_its_status_and_the_total_sums_the_ok_ones(hub: Hub, guest: str) -> None:
    body = ok(await basket(hub, guest, ("SKU-1001", 2), ("SKU-9999", 1), ("SKU-1004", 1), ("SKU-1002", 9), ("SKU-1002", 8)))
    assert body["currency"] == "USD"
    assert all(set(line) == LINE_FIELDS for line in body["lines"])
    assert [(line["sku"], line["status"]) for line in body["lines"]] == [
        ("SKU-1001", "ok"), ("SKU-9999", "unknown_sku"), ("SKU-1004", "not_orderable"),
        ("SKU-1002", "insufficient_stock"), ("SKU-1002", "ok")]
    first = body["lines"][0]
    assert (first["unit_price"], first["extended_price"], first["price_source"], first["available_quantity"]) == (
        "129.00", "258.00", "list", 50)
    ok_total = sum(Decimal(line["extended_price"]) for line in body["lines"] if line["status"] == "ok")
    assert body["total"] == str(ok_total) == "454.00"


async def test_a_trusted_backend_prices_a_basket_for_a_named_customer(hub: Hub, trusted: str) -> None:
    body = ok(await basket(hub, trusted, ("SKU-1001", 10), customer_id="CUST-ACME"))
    assert (body["lines"][0]["unit_price"], body["lines"][0]["price_source"], body["total"]) == ("99.00", "contract", "990.00")


async def test_two_hundred_lines_are_accepted(hub: Hub, guest: str) -> None:
    body = ok(await basket(hub, guest, *[("SKU-1003", 1)] * 200))
    assert len(body["lines"]) == 200 and body["total"] == "1750.00"


async def test_an_unknown_customer_is_422(hub: Hub, trusted: str) -> None:
    assert_problem(await basket(hub, trusted, ("SKU-1001", 1), customer_id="CUST-NOPE"), 422, "unknown_customer")


@pytest.mark.parametrize(("body", "field"), [
    ({"lines": []}, "lines"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 1}] * 201}, "lines"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 0}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "SKU-1001", "quantity": -3}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 1.5}]}, "lines[0].quantity"),
    ({"lines": [{"sku": "SKU-1001"}]}, "lines[0].quantity"),
    ({"lines": [{"quantity": 1}]}, "lines[0].sku"),
    ({"lines": [{"sku": 1001, "quantity": 1}]}, "lines[0].sku"),
    ({"lines": "SKU-1001"}, "lines"),
    ({}, "lines"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 1}], "currency": 5}, "currency"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 1}], "currency": "dollars"}, "currency"),
    ({"lines": [{"sku": "SKU-1001", "quantity": 1}], "customer_id": 7}, "customer_id"),
], ids=["0-lines", "201-lines", "qty-0", "qty-negative", "qty-float", "qty-missing", "sku-missing", "sku-int",
        "lines-str", "empty", "currency-int", "currency-word", "customer-int"])
async def test_invalid_baskets_are_422_with_errors_naming_the_field(hub: Hub, guest: str, body: Any, field: str) -> None:
    assert_field_errors(await hub.http.post(BASKET, json=body, headers=api(guest)), field)


async def test_a_string_quantity_is_a_wrong_type_not_a_number(hub: Hub, guest: str) -> None:
    """CONTRACT section 1: quantities are integers; wrong types are 422. "2" is a string."""
    response = await basket(hub, guest, ("SKU-1001", "2"))
    assert_field_errors(response, "lines[0].quantity")


@pytest.mark.parametrize("content", [b"{\"lines\": [", b"not json", b"{'lines': []}"])
async def test_malformed_json_is_400_malformed_json(hub: Hub, guest: str, content: bytes) -> None:
    response = await hub.http.post(BASKET, content=content, headers=api(guest, **{"content-type": "application/json"}))
    assert_problem(response, 400, "malformed_json")


async def test_a_body_over_one_mebibyte_is_413(hub: Hub, guest: str) -> None:
    padding = "x" * (1024 * 1024)
    response = await hub.http.post(BASKET, json={"lines": [{"sku": "SKU-1001", "quantity": 1}], "pad": padding},
                                   headers=api(guest))
    assert_problem(response, 413, "payload_too_large")
