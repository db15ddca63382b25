"""The OpenAPI documents say what the server does (issue 10, defect 11), as plain tests:
each probe is sent to the in-process hub and its answer must be one the served document
of that API declares for the operation (status, problem+json with the `Problem` schema),
and the server must refuse what the contract refuses (money as a JSON number, a currency
the hub does not sell in)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import httpx
import pytest

from tests.commerce_hub.orders_support import ACME_ORDER, GUEST_ORDER, key
from tests.conftest import Hub
from tests.gateway.support import api, assert_field_errors, assert_problem

SCOPES = ("catalog:read", "orders:write", "orders:read", "returns:write", "returns:read")
API_OF = {"storefront-v1": "/v1/storefront", "storefront-v2": "/v2/storefront", "mobile-v1": "/v1/mobile",
          "partner-v1": "/v1/partner"}


async def documents(hub: Hub) -> dict[str, dict]:
    index = await hub.http.get("/openapi/")
    assert index.status_code == 200, index.text
    served = {}
    for entry in index.json()["documents"]:
        response = await hub.http.get(entry["url"])
        assert response.status_code == 200, response.text
        served[entry["name"]] = response.json()
    assert set(API_OF) <= served.keys()
    return served


def operation(document: dict, method: str, path: str) -> dict:
    """The operation of `document` whose template matches the concrete `path`."""
    for template, item in document["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method.lower() in item:
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not documented")


def assert_documented(document: dict, response: httpx.Response) -> None:
    """The answer's status is declared for its operation, with its content type (a problem:
    `application/problem+json` with the `Problem` schema)."""
    request = response.request
    declared = operation(document, request.method, request.url.path)["responses"]
    status = str(response.status_code)
    assert status in declared, f"{request.method} {request.url.path} answered {status}, documented {sorted(declared)}"
    media = response.headers["content-type"].split(";")[0]
    assert media in declared[status].get("content", {}), (status, media, declared[status])
    if media == "application/problem+json":
        assert declared[status]["content"][media]["schema"] == {"$ref": "#/components/schemas/Problem"}


@pytest.fixture
async def storefront(hub: Hub) -> dict[str, str]:
    return api(await hub.new_key(*SCOPES, "customers:any", plan="internal"))


async def test_every_idempotent_write_documents_its_key_as_required(hub: Hub, storefront: dict) -> None:
    """The server answers 400 `idempotency_key_missing` without the header: every document
    that has the header must say it is required, and document that 400."""
    served = await documents(hub)
    seen = 0
    for name, document in served.items():
        for path, item in document["paths"].items():
            for method, op in item.items():
                for parameter in op.get("parameters", []):
                    if parameter["name"].lower() == "idempotency-key":
                        seen += 1
                        assert parameter["required"] is True, f"{name} {method} {path}"
                        assert parameter["schema"].get("type") == "string", parameter
                        assert "idempotency_key_missing" in op["responses"]["400"]["description"]
    assert seen >= 6  # orders and returns of storefront, mobile and partner
    for path in ("/v1/storefront/orders", "/v1/storefront/returns"):
        response = await hub.http.post(path, json=GUEST_ORDER, headers=storefront)
        assert_problem(response, 400, "idempotency_key_missing")
        assert_documented(served["storefront-v1"], response)


@pytest.mark.parametrize("name", ["storefront-v1", "mobile-v1", "partner-v1"])
async def test_a_return_of_an_unknown_order_is_a_documented_404(hub: Hub, name: str) -> None:
    served = await documents(hub)
    if name == "mobile-v1":  # the mobile API takes the identity provider's tokens only
        headers = hub.mobile("orders:read", "returns:write", customer="CUST-ACME")
    else:
        headers = api(await hub.new_key(*SCOPES, customer="CUST-ACME", plan="internal"))
    body = {"order_id": "ord_00000000000000000000000000", "lines": [{"sku": "SKU-1001", "quantity": 1,
                                                                       "reason": "other"}]}
    response = await hub.http.post(f"{API_OF[name]}/returns", json=body, headers={**headers, **key()})
    assert_problem(response, 404, "unknown_order")
    assert_documented(served[name], response)


async def test_a_reused_po_number_is_a_documented_409(hub: Hub) -> None:
    served = await documents(hub)
    partner = api(await hub.new_key(*SCOPES, customer="CUST-ACME", plan="internal"))
    body = {**ACME_ORDER, "po_number": "PO-77"}
    first = await hub.http.post("/v1/partner/orders", json=body, headers={**partner, **key()})
    assert first.status_code == 201, first.text
    again = await hub.http.post("/v1/partner/orders", json=body, headers={**partner, **key()})
    assert_problem(again, 409, "duplicate_po")
    assert_documented(served["partner-v1"], again)


def _with(body: dict, path: tuple, value: Any) -> dict:
    changed = copy.deepcopy(body)
    target = changed
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return changed


@pytest.mark.parametrize(("path", "value", "field"), [
    (("payment", "amount"), 17.5, "payment.amount"),
    (("payment", "amount"), 17, "payment.amount"),
    (("lines", 0, "unit_price"), 8.75, "lines[0].unit_price"),
    (("lines", 0, "unit_price"), "NaN", "lines[0].unit_price"),
    (("payment", "amount"), "1e2", "payment.amount"),
], ids=["amount-float", "amount-int", "unit-price-float", "unit-price-nan", "amount-exponent"])
async def test_money_as_anything_but_a_decimal_string_is_422_naming_the_field(
        hub: Hub, storefront: dict, path: tuple, value: Any, field: str) -> None:
    """CONTRACT section 1: money is a decimal string, never a JSON number. Nothing is
    accepted, and the answer is the documented 422."""
    response = await hub.http.post("/v1/storefront/orders", json=_with(GUEST_ORDER, path, value),
                                   headers={**storefront, **key()})
    assert_field_errors(response, field)
    assert_documented((await documents(hub))["storefront-v1"], response)
    mine = await hub.http.post("/v1/storefront/orders", json=GUEST_ORDER, headers={**storefront, **key()})
    assert mine.status_code == 201, mine.text  # the same order with decimal strings is taken
    assert mine.json()["total"] == "17.50"


async def test_quantities_stay_integers(hub: Hub, storefront: dict) -> None:
    response = await hub.http.post("/v1/storefront/orders", json=_with(GUEST_ORDER, ("lines", 0, "quantity"), "2"),
                                   headers={**storefront, **key()})
    assert_field_errors(response, "lines[0].quantity")


@pytest.mark.parametrize("prefix", ["/v1/storefront", "/v2/storefront"])
@pytest.mark.parametrize("currency", ["EUR", "XXX"])
async def test_a_basket_in_a_currency_the_hub_does_not_sell_in_is_422(
        hub: Hub, storefront: dict, prefix: str, currency: str) -> None:
    """Not a 200 of `unavailable` lines: the request is wrong, so a validation problem naming `currency`."""
    body = {"currency": currency, "lines": [{"sku": "SKU-1001", "quantity": 1}]}
    response = await hub.http.post(f"{prefix}/price-availability", json=body, headers=storefront)
    problem = assert_problem(response, 422, "unsupported_currency")
    assert [e["field"] for e in problem["errors"]] == ["currency"]
    assert_documented((await documents(hub))[f"storefront-{prefix[1:3]}"], response)
    product = await hub.http.get(f"{prefix}/products/SKU-1001", params={"currency": currency}, headers=storefront)
    assert_problem(product, 422, "unsupported_currency")
    usd = await hub.http.post(f"{prefix}/price-availability", json={**body, "currency": "USD"}, headers=storefront)
    assert usd.status_code == 200 and usd.json()["lines"][0]["status"] == "ok", usd.text


@pytest.mark.parametrize("currency", ["usd", "US", "USDD", "12$"])
async def test_a_currency_that_is_not_an_iso_code_is_422(hub: Hub, storefront: dict, currency: str) -> None:
    body = {"currency": currency, "lines": [{"sku": "SKU-1001", "quantity": 1}]}
    response = await hub.http.post("/v1/storefront/price-availability", json=body, headers=storefront)
    assert_field_errors(response, "currency")


async def test_the_documents_say_which_currencies_are_sold(hub: Hub) -> None:
    served = await documents(hub)
    text = json.dumps(served["storefront-v1"])
    assert "HUB_CURRENCIES" in text and "unsupported_currency" in text
