"""The breaking-change detector on synthetic before/after documents: each breaking kind
is found, and additions are not."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest

from experience_apis.registry import build_experiences
from tests.experience_apis.versions.openapi_diff import breaking_changes

PRODUCT = "/v1/x/products/{sku}"
ORDERS = "/v1/x/orders"


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


BEFORE: dict[str, Any] = {
    "openapi": "3.1.0",
    "paths": {
        PRODUCT: {"get": {
            "parameters": [{"name": "sku", "in": "path", "required": True, "schema": {"type": "string"}},
                           {"name": "quantity", "in": "query", "required": False, "schema": {"type": "integer"}}],
            "responses": {"200": _json("Product"), "404": _json("Problem")},
        }},
        ORDERS: {"post": {
            "requestBody": {"required": True, **_json("OrderIn")},
            "responses": {"201": _json("Order")},
        }},
    },
    "components": {"schemas": {
        "Product": {"type": "object", "required": ["sku", "price", "as_of", "locations", "list_price"], "properties": {
            "sku": {"type": "string"},
            "price": {"type": "string"},
            "as_of": {"type": "string", "format": "date-time"},
            "locations": {"type": "array", "items": {"$ref": "#/components/schemas/Location"}},
            "list_price": {"oneOf": [{"$ref": "#/components/schemas/Money"}, {"type": "null"}]},
        }},
        "Location": {"type": "object", "required": ["location", "available"],
                     "properties": {"location": {"type": "string"}, "available": {"type": "integer"}}},
        "Money": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "string"}}},
        "OrderIn": {"type": "object", "required": ["sku"], "properties": {
            "sku": {"type": "string"}, "note": {"type": "string"}}},
        "Order": {"type": "object", "required": ["order_id"], "properties": {"order_id": {"type": "string"}}},
        "Problem": {"type": "object", "properties": {"code": {"type": "string"}}},
    }},
}


def _schemas(doc: dict) -> dict:
    return doc["components"]["schemas"]


def _get(doc: dict) -> dict:
    return doc["paths"][PRODUCT]["get"]


def _rename_price(doc: dict) -> None:
    props = _schemas(doc)["Product"]["properties"]
    props["unit_price"] = props.pop("price")


BREAKING: dict[str, tuple[Callable[[dict], Any], str]] = {
    "removed path": (lambda d: d["paths"].pop(ORDERS), "removed path /v1/x/orders"),
    "removed operation": (lambda d: d["paths"][ORDERS].update(put=d["paths"][ORDERS].pop("post")), "removed operation"),
    "removed field": (lambda d: _schemas(d)["Product"]["properties"].pop("price"), "removed field"),
    "renamed field": (_rename_price, "removed field"),
    "removed nested field": (lambda d: _schemas(d)["Money"]["properties"].pop("amount"), "list_price.amount"),
    "changed type": (lambda d: _schemas(d)["Product"]["properties"]["price"].update(type="number"), "changed type"),
    "changed type in an array": (lambda d: _schemas(d)["Location"]["properties"]["available"].update(type="string"),
                                 "locations[].available"),
    "changed format": (lambda d: _schemas(d)["Product"]["properties"]["as_of"].update(format="date"), "changed type"),
    "string to object": (lambda d: _schemas(d)["Product"]["properties"].update(price={"$ref": "#/components/schemas/Money"}),
                         "changed type"),
    "response field made nullable": (
        lambda d: _schemas(d)["Product"]["properties"].update(sku={"oneOf": [{"type": "string"}, {"type": "null"}]}),
        "changed type"),
    "response field made optional": (lambda d: _schemas(d)["Product"]["required"].remove("sku"), "no longer always present"),
    "new required query parameter": (
        lambda d: _get(d)["parameters"].append({"name": "channel", "in": "query", "required": True, "schema": {}}),
        "new required input: query parameter 'channel'"),
    "optional parameter made required": (lambda d: _get(d)["parameters"][1].update(required=True), "'quantity'"),
    "changed parameter type": (lambda d: _get(d)["parameters"][1].update(schema={"type": "string"}), "changed type"),
    "new required body field": (lambda d: _schemas(d)["OrderIn"]["required"].append("note"), "field POST /v1/x/orders body.note"),
    "changed success status": (lambda d: _get(d)["responses"].update({"201": _get(d)["responses"].pop("200")}),
                               "changed success status"),
    "removed media type": (lambda d: _get(d)["responses"]["200"].update(content={"application/xml": {}}), "removed media type"),
}

NOT_BREAKING: dict[str, Callable[[dict], Any]] = {
    "unchanged": lambda d: None,
    "new path": lambda d: d["paths"].update({"/v1/x/new": {"get": {"responses": {"200": {}}}}}),
    "new operation": lambda d: d["paths"][PRODUCT].update(delete={"responses": {"204": {}}}),
    "new optional response field": lambda d: _schemas(d)["Product"]["properties"].update(extra={"type": "string"}),
    "new required response field": lambda d: (_schemas(d)["Product"]["properties"].update(extra={"type": "string"}),
                                              _schemas(d)["Product"]["required"].append("extra")),
    "new optional query parameter": lambda d: _get(d)["parameters"].append(
        {"name": "currency", "in": "query", "required": False, "schema": {"type": "string"}}),
    "new optional body field": lambda d: _schemas(d)["OrderIn"]["properties"].update(po={"type": "string"}),
    "request field made nullable": lambda d: _schemas(d)["OrderIn"]["properties"].update(
        note={"oneOf": [{"type": "string"}, {"type": "null"}]}),
    "response field no longer nullable": lambda d: _schemas(d)["Product"]["properties"].update(
        list_price={"$ref": "#/components/schemas/Money"}),
    "new error status": lambda d: _get(d)["responses"].update({"429": _json("Problem")}),
    "new description": lambda d: _get(d).update(description="Now documented."),
}


@pytest.mark.parametrize("kind", BREAKING)
def test_each_breaking_kind_is_found(kind: str) -> None:
    change, expected = BREAKING[kind]
    after = copy.deepcopy(BEFORE)
    change(after)
    found = breaking_changes(BEFORE, after)
    assert any(expected in line for line in found), found


@pytest.mark.parametrize("kind", NOT_BREAKING)
def test_additions_are_not_breaking(kind: str) -> None:
    after = copy.deepcopy(BEFORE)
    NOT_BREAKING[kind](after)
    assert breaking_changes(BEFORE, after) == []


def test_a_schema_referring_to_itself_is_compared_once() -> None:
    before = copy.deepcopy(BEFORE)
    _schemas(before)["Location"]["properties"]["parent"] = {"$ref": "#/components/schemas/Location"}
    after = copy.deepcopy(before)
    _schemas(after)["Location"]["properties"]["available"]["type"] = "string"
    assert len(breaking_changes(before, after)) == 1


def test_storefront_v2_money_objects_would_break_v1() -> None:
    """The real v1 and v2 documents: v2's shape under v1's paths is what v2 exists to avoid."""
    apps = build_experiences({}, "")
    v1 = apps["storefront-v1"].openapi_schema.to_schema()
    v2 = apps["storefront-v2"].openapi_schema.to_schema()
    v2["paths"] = {path.replace("/v2/", "/v1/"): item for path, item in v2["paths"].items()}
    found = "\n".join(breaking_changes(v1, v2))
    assert "removed field GET /v1/storefront/products/{sku} 200.currency" in found
    assert "changed type of GET /v1/storefront/products/{sku} 200.unit_price" in found
    assert "changed type of POST /v1/storefront/price-availability 200.total" in found
