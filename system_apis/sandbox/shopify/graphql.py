"""The Shopify sandbox's Admin GraphQL endpoint: ``inventorySetQuantities`` only, cost-limited.

``POST /sandbox/shopify/admin/api/2024-10/graphql.json`` takes the mutation
with its ``variables.input`` (``name`` "available", ``quantities`` of
``inventoryItemId``/``locationId`` GIDs whose ids are the SKU and the location
name, at most 250) and sets those absolute levels, all or none. Every call
costs 10 points from a bucket of 1,000 restored at 50/s (``ShopifyBackend.cost_bucket``,
separate from REST's call bucket); without room it answers 200 with a
``THROTTLED`` error and no data, as Shopify does. Each answer carries
``extensions.cost.throttleStatus``. Other queries answer an error.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import msgspec
from litestar import Request, post

from system_apis.sandbox.shopify.state import ShopifyBackend
from system_apis.sandbox.shopify.schemas import InventorySet

MUTATION_COST = 10
MAX_QUANTITIES = 250
_ITEM, _LOCATION = "gid://shopify/InventoryItem/", "gid://shopify/Location/"


class Quantity(msgspec.Struct, frozen=True):
    inventoryItemId: str  # noqa: N815 - Shopify's names
    locationId: str  # noqa: N815
    quantity: int


class SetInput(msgspec.Struct, frozen=True):
    quantities: list[Quantity]
    name: str = "available"
    reason: str = "correction"
    ignoreCompareQuantity: bool = False  # noqa: N815


class Variables(msgspec.Struct, frozen=True):
    input: SetInput


class GraphqlRequest(msgspec.Struct, frozen=True):
    query: str
    variables: Variables | None = None


def _answer(shop: ShopifyBackend, requested: float, actual: float | None, **body: Any) -> dict[str, Any]:
    bucket = shop.cost_bucket
    status = {"maximumAvailable": float(bucket.size), "currentlyAvailable": int(bucket.room()),
              "restoreRate": bucket.leak_per_second}
    cost = {"requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": status}
    return {**body, "extensions": {"cost": cost}}


def _error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


def _user_error(field: list[str], message: str) -> dict[str, Any]:
    return {"data": {"inventorySetQuantities": {"userErrors": [{"code": "INVALID", "field": field,
                                                                  "message": message}]}}}


def _changes(quantities: list[Quantity]) -> list[InventorySet] | tuple[list[str], str]:
    changes = []
    for n, q in enumerate(quantities):
        if not (q.inventoryItemId.startswith(_ITEM) and q.locationId.startswith(_LOCATION)):
            return ["input", "quantities", str(n)], "not an InventoryItem and a Location GID"
        changes.append(InventorySet(inventory_item_id=unquote(q.inventoryItemId[len(_ITEM):]),
                                    location_id=unquote(q.locationId[len(_LOCATION):]), available=q.quantity))
    return changes


@post("/graphql.json", status_code=200)
async def graphql(request: Request[Any, Any, Any], shopify: ShopifyBackend) -> dict[str, Any]:
    """Admin GraphQL: ``inventorySetQuantities`` under the cost limit (see the module docstring)."""
    try:
        call = msgspec.json.decode(await request.body(), type=GraphqlRequest)
    except msgspec.DecodeError as exc:
        return _error(f"invalid request: {exc}", "BAD_REQUEST")
    if "inventorySetQuantities" not in call.query or call.variables is None:
        return _error("the sandbox answers inventorySetQuantities only", "BAD_REQUEST")
    if shopify.cost_bucket.take(MUTATION_COST) is None:
        return _answer(shopify, MUTATION_COST, None, **_error("Throttled", "THROTTLED"))
    given = call.variables.input
    if given.name != "available" or not 0 < len(given.quantities) <= MAX_QUANTITIES:
        return _answer(shopify, MUTATION_COST, MUTATION_COST,
                       **_user_error(["input"], f"name 'available' and 1 to {MAX_QUANTITIES} quantities"))
    changes = _changes(given.quantities)
    if isinstance(changes, tuple):
        return _answer(shopify, MUTATION_COST, MUTATION_COST, **_user_error(*changes))
    for change in changes:
        shopify.set_level(change)
    return _answer(shopify, MUTATION_COST, MUTATION_COST,
                   data={"inventorySetQuantities": {"userErrors": []}})
