"""The 3PL (ShipBob-shaped) below ``/sandbox/threepl/2026-01``, and its controls.

Vendor paths (``Authorization: Bearer <PAT>``; writes need ``shipbob_channel_id``):

    POST /order                       201 the order; 422 for a reference_id held
    GET  /order?ReferenceIds=a,b      the orders with those reference ids
    GET  /order/{id}/shipment         the order's shipments (tracking once shipped)
    GET  /inventory-level/locations?SKUs=a,b   levels by fulfillment center
    POST /return, GET /return?ReferenceIds=&Status=, POST /return/{id}/cancel

Controls: ``POST /sandbox/threepl/ship`` ``{"order_id"}`` ships an order whole;
``POST /sandbox/threepl/receive`` ``{"rma_id", "lines"?: [{"sku", "quantity"}]}`` receives
a return (``Completed``, each item processed by its requested action; all units by default);
``PUT /sandbox/threepl/inventory/{sku}`` ``{"on_hand"}`` sets a count.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post, put
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.control_errors import ControlInputError, ControlNotFound, FieldError, decode_control
from system_apis.sandbox.threepl.warehouse import ThreePlError, ThreePlWarehouse
from system_apis.threepl.vendor_schemas import ErrorBody


class ShipOrder(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    order_id: str


class Units(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    sku: str
    quantity: int


class ReceiveReturn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rma_id: str
    lines: list[Units] | None = None


class Count(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    on_hand: int


def _checked(request: Request[Any, Any, Any], threepl: ThreePlWarehouse, *, write: bool = False) -> ThreePlWarehouse:
    if not request.headers.get("Authorization", "").startswith("Bearer "):
        raise ThreePlError(401, {"statusCode": 401, "message": "Unauthorized"})
    if write and not request.headers.get("shipbob_channel_id"):
        raise ThreePlError(400, {"statusCode": 400, "message": "The shipbob_channel_id header is required."})
    return threepl


async def _body(request: Request[Any, Any, Any]) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.body())
    except msgspec.DecodeError as exc:
        raise ThreePlError(400, {"statusCode": 400, "message": "The body is not JSON."}) from exc
    if not isinstance(body, dict):
        raise ThreePlError(400, {"statusCode": 400, "message": "The body must be an object."})
    return body


def _refs(value: str | None) -> set[str]:
    return {v for v in (value or "").split(",") if v}


def _with_refs(records: Any, reference_ids: str | None) -> list[dict[str, Any]]:
    """The records whose ``reference_id`` is among ``ReferenceIds`` (all without the filter)."""
    wanted = _refs(reference_ids)
    return [r for r in records if not wanted or r["reference_id"] in wanted]


@post("/order", status_code=201)
async def create_order(request: Request[Any, Any, Any], threepl: ThreePlWarehouse) -> dict[str, Any]:
    return _checked(request, threepl, write=True).create_order(await _body(request))


@get("/order")
async def list_orders(request: Request[Any, Any, Any], threepl: ThreePlWarehouse,
                      reference_ids: str | None = Parameter(query="ReferenceIds", default=None)) -> list[dict[str, Any]]:
    return _with_refs(_checked(request, threepl).orders.values(), reference_ids)


@get("/order/{order_id:int}/shipment")
async def order_shipments(request: Request[Any, Any, Any], threepl: ThreePlWarehouse,
                          order_id: int) -> list[dict[str, Any]]:
    if order_id not in _checked(request, threepl).shipments:
        raise ThreePlError(404, {"statusCode": 404, "message": f"No order {order_id}."})
    return threepl.shipments[order_id]


@get("/inventory-level/locations")
async def inventory_levels(request: Request[Any, Any, Any], threepl: ThreePlWarehouse,
                           skus: str | None = Parameter(query="SKUs", default=None)) -> list[dict[str, Any]]:
    return _checked(request, threepl).levels(sorted(_refs(skus)))


@post("/return", status_code=201)
async def create_return(request: Request[Any, Any, Any], threepl: ThreePlWarehouse) -> dict[str, Any]:
    return _checked(request, threepl, write=True).create_return(await _body(request))


@get("/return")
async def list_returns(request: Request[Any, Any, Any], threepl: ThreePlWarehouse,
                       reference_ids: str | None = Parameter(query="ReferenceIds", default=None),
                      status: str | None = Parameter(query="Status", default=None)) -> list[dict[str, Any]]:
    found = _with_refs(_checked(request, threepl).returns.values(), reference_ids)
    return [r for r in found if not status or r["status"] in _refs(status)]


@post("/return/{return_id:int}/cancel", status_code=200)
async def cancel_return(request: Request[Any, Any, Any], threepl: ThreePlWarehouse, return_id: int) -> dict[str, Any]:
    return _checked(request, threepl, write=True).cancel_return(return_id)


def render_error(_: Request[Any, Any, Any], error: ThreePlError) -> Response[dict[str, Any]]:
    return Response(error.body, status_code=error.status)


@post("/ship", status_code=200)
async def ship(request: Request[Any, Any, Any], threepl: ThreePlWarehouse) -> list[dict[str, Any]]:
    """Control: ship the order whole (stock leaves, a shipment with tracking appears); again: the same."""
    try:
        return threepl.ship(decode_control(await request.body(), ShipOrder).order_id)
    except ThreePlError as exc:
        raise ControlNotFound(str(exc.body.get("message"))) from exc


@post("/receive", status_code=200)
async def receive(request: Request[Any, Any, Any], threepl: ThreePlWarehouse) -> dict[str, Any]:
    """Control: the return arrived and the 3PL processed it (the hub polls it as a receipt)."""
    body = decode_control(await request.body(), ReceiveReturn)
    if any(line.quantity < 0 for line in body.lines or ()):
        raise ControlInputError([FieldError("lines", "quantities must be 0 or more")])
    units = {line.sku: line.quantity for line in body.lines} if body.lines is not None else None
    try:
        return threepl.receive_return(body.rma_id, units)
    except ThreePlError as exc:
        if exc.status == 404:
            raise ControlNotFound(str(exc.body.get("message"))) from exc
        raise ControlInputError([FieldError("rma_id", str(exc.body.get("message")))]) from exc


@put("/inventory/{sku:str}", status_code=200)
async def set_count(request: Request[Any, Any, Any], threepl: ThreePlWarehouse, sku: str) -> dict[str, Any]:
    """Control: a count of ``sku`` at the fulfillment center."""
    count = decode_control(await request.body(), Count)
    if count.on_hand < 0:
        raise ControlInputError([FieldError("on_hand", "must be 0 or more")])
    return threepl.set_count(sku, count.on_hand)


@get("/channel")
async def channels(request: Request[Any, Any, Any], threepl: ThreePlWarehouse) -> list[dict[str, Any]]:
    """``GET /channel``: the channels the token may act for (ShipBob's first call with a new token)."""
    _checked(request, threepl)
    return [{"id": 100100, "name": "Commerce Hub Sandbox", "application_name": "SMA",
             "scopes": ["orders_read", "orders_write", "inventory_read", "returns_read", "returns_write"]}]

THREEPL = BackendSpec(
    name="threepl",
    api_path="/2026-01",
    api_handlers=(channels, create_order, list_orders, order_shipments, inventory_levels, create_return, list_returns,
                  cancel_return),
    build=ThreePlWarehouse,
    throttle_body=ErrorBody(status_code=429, message="Rate limit is exceeded. Try again in 1 seconds."),
    control_handlers=(ship, receive, set_count),
    api_exception_handlers={ThreePlError: render_error},
)
