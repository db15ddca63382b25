"""Shopify Admin GraphQL (2024-10): ``inventorySetQuantities``, its cost-based throttle.

REST sets one level per call under a 40-call bucket leaking 2 calls/s; the
GraphQL mutation sets up to 250 absolute quantities per call, charged in cost
points (a mutation costs 10) from a bucket of 1,000 points refilled at 50/s
(the standard plan's figures at the time of writing; each answer says them in
``extensions.cost.throttleStatus``). Over the limit, Shopify answers 200 with
``errors: [{"extensions": {"code": "THROTTLED"}}]`` and no data: ``raise_if_throttled``
turns that into ``BackendThrottled`` with the wait the bucket needs.

Ids are GIDs: ``gid://shopify/InventoryItem/<id>`` and ``gid://shopify/Location/<id>``;
the sandbox takes the SKU and the location name as ``<id>`` (as its REST does).
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, unquote

import httpx
import msgspec

from shared.errors import BackendError, BackendThrottled
from system_apis.channel.port import CallBudget, StorefrontLevel

PATH_SUFFIX = "/graphql.json"
ITEM_GID = "gid://shopify/InventoryItem/"
LOCATION_GID = "gid://shopify/Location/"
SET_QUANTITIES = (
    "mutation SetLevels($input: InventorySetQuantitiesInput!) { "
    "inventorySetQuantities(input: $input) { userErrors { code field message } } }"
)


class QuantityIn(msgspec.Struct, frozen=True, kw_only=True):
    inventoryItemId: str  # noqa: N815 - Shopify's names
    locationId: str  # noqa: N815
    quantity: int


class SetQuantitiesInput(msgspec.Struct, frozen=True, kw_only=True):
    name: str = "available"
    reason: str = "correction"
    ignoreCompareQuantity: bool = True  # noqa: N815 - absolute values: the hub's is the truth
    quantities: list[QuantityIn]


class SetVariables(msgspec.Struct, frozen=True, kw_only=True):
    input: SetQuantitiesInput


class SetRequest(msgspec.Struct, frozen=True, kw_only=True):
    query: str
    variables: SetVariables


class ThrottleStatus(msgspec.Struct, frozen=True, kw_only=True):
    maximumAvailable: float  # noqa: N815
    currentlyAvailable: float  # noqa: N815
    restoreRate: float  # noqa: N815


class Cost(msgspec.Struct, frozen=True, kw_only=True):
    requestedQueryCost: float  # noqa: N815
    actualQueryCost: float | None = None  # noqa: N815
    throttleStatus: ThrottleStatus  # noqa: N815


class Extensions(msgspec.Struct, frozen=True, kw_only=True):
    cost: Cost | None = None


class ErrorExtensions(msgspec.Struct, frozen=True, kw_only=True):
    code: str | None = None


class GraphqlError(msgspec.Struct, frozen=True, kw_only=True):
    message: str = ""
    extensions: ErrorExtensions | None = None


class UserError(msgspec.Struct, frozen=True, kw_only=True):
    code: str | None = None
    field: list[str] | None = None
    message: str = ""


class SetPayload(msgspec.Struct, frozen=True, kw_only=True):
    userErrors: list[UserError] = []  # noqa: N815


class SetData(msgspec.Struct, frozen=True, kw_only=True):
    inventorySetQuantities: SetPayload | None = None  # noqa: N815


class SetAnswer(msgspec.Struct, frozen=True, kw_only=True):
    data: SetData | None = None
    errors: list[GraphqlError] = []
    extensions: Extensions | None = None


def item_gid(sku: str) -> str:
    return ITEM_GID + quote(sku, safe="")


def location_gid(location: str) -> str:
    return LOCATION_GID + quote(location, safe="")


def gid_tail(gid: str, prefix: str) -> str | None:
    """The id a GID of ``prefix`` names, or None when it is not one."""
    return unquote(gid[len(prefix):]) if gid.startswith(prefix) and len(gid) > len(prefix) else None


def set_quantities_body(levels: Sequence[StorefrontLevel]) -> SetRequest:
    quantities = [QuantityIn(inventoryItemId=item_gid(lv.sku), locationId=location_gid(lv.location),
                             quantity=lv.available) for lv in levels]
    return SetRequest(query=SET_QUANTITIES, variables=SetVariables(input=SetQuantitiesInput(quantities=quantities)))


def budget(cost: Cost | None) -> CallBudget:
    """The bucket after the call; without a cost report, assume a full bucket at the standard rate."""
    if cost is None:
        return CallBudget(available=1000.0, cost=10.0, refill_per_second=50.0, capacity=1000.0)
    status = cost.throttleStatus
    return CallBudget(available=status.currentlyAvailable, cost=cost.actualQueryCost or cost.requestedQueryCost,
                      refill_per_second=status.restoreRate, capacity=status.maximumAvailable)


def raise_if_throttled(response: httpx.Response) -> None:
    """A 200 GraphQL answer that says THROTTLED is a throttle: wait until the bucket holds the cost."""
    if response.status_code != 200 or not response.request.url.path.endswith(PATH_SUFFIX):
        return
    try:
        answer = msgspec.json.decode(response.content, type=SetAnswer)
    except msgspec.DecodeError:
        return  # the adapter's decode reports a body that does not fit
    if not any(e.extensions is not None and e.extensions.code == "THROTTLED" for e in answer.errors):
        return
    cost = answer.extensions.cost if answer.extensions else None
    wait = 1.0
    if cost is not None and cost.throttleStatus.restoreRate > 0:
        short = cost.requestedQueryCost - cost.throttleStatus.currentlyAvailable
        wait = max(short / cost.throttleStatus.restoreRate, 0.05)
    raise BackendThrottled("SHOPIFY is throttling the hub (query cost)", backend="shopify", retry_after=wait)


def read_set_answer(answer: SetAnswer) -> CallBudget:
    """The budget left after a successful set; any other error or a user error is permanent."""
    payload = answer.data.inventorySetQuantities if answer.data else None
    if answer.errors or payload is None:
        raise BackendError("SHOPIFY refused the inventory set", backend="shopify")
    if payload.userErrors:
        first = payload.userErrors[0]
        raise BackendError(f"SHOPIFY refused the inventory set ({first.code or 'user error'})", backend="shopify")
    return budget(answer.extensions.cost if answer.extensions else None)
