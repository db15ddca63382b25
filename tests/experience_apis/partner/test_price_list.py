"""GET /v1/partner/price-list: every orderable SKU at the bound customer's price, with its
quantity breaks, paged by an opaque cursor (CONTRACT section 5)."""

from __future__ import annotations

import base64

import pytest

from experience_apis.cursors import decode_cursor, encode_cursor
from shared.errors import ValidationFailed
from tests.conftest import Hub
from tests.experience_apis.versions.conftest import call, ok
from tests.gateway.support import assert_field_errors, assert_problem

PRICE_LIST = "/v1/partner/price-list"


@pytest.fixture
async def acme(hub: Hub) -> str:
    return await hub.new_key("catalog:read", customer="CUST-ACME", plan="partner")


async def test_acme_gets_its_contract_price_and_the_breaks(hub: Hub, acme: str) -> None:
    body = ok(await call(hub, acme, PRICE_LIST))
    assert body["next_cursor"] is None
    items = {item["sku"]: item for item in body["items"]}
    assert list(items) == ["SKU-1001", "SKU-1002", "SKU-1003"]
    assert items["SKU-1001"] == {"sku": "SKU-1001", "name": "Cordless Drill 18V", "currency": "USD",
                                 "unit_price": "99.00", "price_source": "contract",
                                 "breaks": [{"min_quantity": 10, "unit_price": "119.00"}]}
    assert (items["SKU-1002"]["unit_price"], items["SKU-1002"]["price_source"], items["SKU-1002"]["breaks"]) == (
        "24.50", "list", [])


async def test_a_customer_without_a_contract_gets_list_prices(hub: Hub) -> None:
    bolt = await hub.new_key("catalog:read", customer="CUST-BOLT")
    first = ok(await call(hub, bolt, PRICE_LIST))["items"][0]
    assert (first["sku"], first["unit_price"], first["price_source"]) == ("SKU-1001", "129.00", "list")


@pytest.mark.parametrize("limit", [1, 2, 3])
async def test_the_cursor_walks_every_item_exactly_once(hub: Hub, acme: str, limit: int) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        page = ok(await call(hub, acme, PRICE_LIST, **params))
        assert len(page["items"]) <= limit
        seen += [item["sku"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == ["SKU-1001", "SKU-1002", "SKU-1003"]


@pytest.mark.parametrize("cursor", [
    "not a cursor", "e30", base64.urlsafe_b64encode(b'{"v":1,"o":-1}').decode(),
    base64.urlsafe_b64encode(b'{"v":9,"o":1}').decode(), "x" * 201,
])
async def test_a_cursor_the_hub_did_not_make_is_422(hub: Hub, acme: str, cursor: str) -> None:
    assert_field_errors(await call(hub, acme, PRICE_LIST, cursor=cursor), "cursor")


@pytest.mark.parametrize("limit", [0, 501, "ten"])
async def test_limit_is_1_to_500(hub: Hub, acme: str, limit: object) -> None:
    assert_field_errors(await call(hub, acme, PRICE_LIST, limit=limit), "limit")


async def test_a_limit_of_500_is_fine(hub: Hub, acme: str) -> None:
    assert len(ok(await call(hub, acme, PRICE_LIST, limit=500))["items"]) == 3


@pytest.mark.parametrize("scopes", [("catalog:read",), ("catalog:read", "customers:any")])
async def test_a_key_bound_to_no_customer_is_403_customer_required(hub: Hub, scopes: tuple[str, ...]) -> None:
    assert_problem(await call(hub, await hub.new_key(*scopes), PRICE_LIST), 403, "customer_required")


async def test_a_bound_key_without_the_scope_is_403_insufficient_scope(hub: Hub) -> None:
    key = await hub.new_key("orders:read", customer="CUST-ACME")
    assert_problem(await call(hub, key, PRICE_LIST), 403, "insufficient_scope")


def test_cursors_are_opaque_and_round_trip() -> None:
    assert encode_cursor(None) is None and decode_cursor(None) == 0 and decode_cursor("") == 0
    cursor = encode_cursor(42)
    assert cursor is not None and "42" not in cursor and "=" not in cursor
    assert decode_cursor(cursor) == 42
    with pytest.raises(ValidationFailed):
        decode_cursor(cursor[:-2])
