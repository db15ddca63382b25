"""The BigCommerce sandbox over HTTP: the store API below ``/sandbox/bigcommerce`` (v2 orders,
v3 inventory and refunds; faulted; ``X-Auth-Token`` required, 401 without), order controls and
views, and its spec. A 429 (the throttle fault) carries ``X-Rate-Limit-Time-Reset-Ms``."""

from __future__ import annotations

import time

from typing import Any

import msgspec
from litestar import Request, Response, get, post, put

from system_apis.bigcommerce.vendor_schemas import BigAdjustment, BigError, BigRefundOut, BigShipmentOut
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.bigcommerce.state import BigCommerceBackend, BigInvalid, BigNotFound
from system_apis.sandbox.channel_controls import OrderIn, by_order, credential_gate, json_answer
from system_apis.sandbox.control_errors import ControlNotFound, decode_control

THROTTLED = BigError(status=429, title="Too many requests", type="https://developer.bigcommerce.com/api-docs")
RESET_MS = b"1000"


def _decode(body: bytes, type_: type) -> Any:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise BigInvalid("The request body is invalid.") from exc


@get("/v2/orders/{order_id:int}")
async def get_order(bigcommerce: BigCommerceBackend, order_id: int) -> Response[bytes]:
    return json_answer(bigcommerce.order(order_id))


@get("/v2/orders/{order_id:int}/products")
async def order_products(bigcommerce: BigCommerceBackend, order_id: int) -> Response[bytes]:
    bigcommerce.order(order_id)
    return json_answer(bigcommerce.products[order_id])


@get("/v2/orders/{order_id:int}/shipping_addresses")
async def order_addresses(bigcommerce: BigCommerceBackend, order_id: int) -> Response[bytes]:
    bigcommerce.order(order_id)
    return json_answer(bigcommerce.addresses[order_id])


@get("/v2/orders/{order_id:int}/shipments")
async def list_shipments(bigcommerce: BigCommerceBackend, order_id: int) -> Response[bytes]:
    bigcommerce.order(order_id)
    return json_answer([s for s in bigcommerce.shipments if s.order_id == order_id])


@post("/v2/orders/{order_id:int}/shipments")
async def create_shipment(request: Request[Any, Any, Any], bigcommerce: BigCommerceBackend,
                          order_id: int) -> Response[bytes]:
    return json_answer(bigcommerce.ship(order_id, _decode(await request.body(), BigShipmentOut)), 201)


@get("/v3/orders/{order_id:int}/payment_actions/refunds")
async def list_refunds(bigcommerce: BigCommerceBackend, order_id: int) -> Response[bytes]:
    bigcommerce.order(order_id)
    return json_answer({"data": [r for r in bigcommerce.refunds if r.order_id == order_id], "meta": {}})


@post("/v3/orders/{order_id:int}/payment_actions/refunds")
async def create_refund(request: Request[Any, Any, Any], bigcommerce: BigCommerceBackend,
                        order_id: int) -> Response[bytes]:
    return json_answer({"data": bigcommerce.refund(order_id, _decode(await request.body(), BigRefundOut)), "meta": {}}, 201)


@get("/v3/inventory/locations")
async def list_locations(bigcommerce: BigCommerceBackend) -> Response[bytes]:
    return json_answer({"data": bigcommerce.locations, "meta": {}})


@put("/v3/inventory/adjustments/absolute")
async def absolute(request: Request[Any, Any, Any], bigcommerce: BigCommerceBackend) -> Response[bytes]:
    bigcommerce.adjust(_decode(await request.body(), BigAdjustment).items)
    return json_answer({"transaction_id": "sandbox"})


@get("/v3/inventory/items")
async def inventory_items(request: Request[Any, Any, Any], bigcommerce: BigCommerceBackend) -> Response[bytes]:
    skus = [s for s in request.query_params.get("sku:in", "").split(",") if s]
    codes = {loc.id: loc.code for loc in bigcommerce.locations}
    data = [{"identity": {"sku": sku}, "locations": [
        {"location_id": loc, "location_code": codes[loc], "available_to_sell": n}
        for (s, loc), n in sorted(bigcommerce.inventory.items()) if s == sku]} for sku in skus]
    return json_answer({"data": [d for d in data if d["locations"]], "meta": {}})


@post("/orders", status_code=201)
async def create_order(request: Request[Any, Any, Any], bigcommerce: BigCommerceBackend) -> dict:
    """Control: a shopper places an order; announced by a thin ``store/order/created`` webhook."""
    order = bigcommerce.create(decode_control(await request.body(), OrderIn))
    return {"order": msgspec.to_builtins(order), "webhook_id": None}


@post("/orders/{order_id:int}/redeliver", status_code=200)
async def redeliver(bigcommerce: BigCommerceBackend, order_id: int) -> dict:
    webhook_id = bigcommerce.deliver(order_id)
    if webhook_id is None:
        raise ControlNotFound(f"unknown order {order_id}")
    return {"order_id": order_id, "webhook_id": webhook_id, "topic": "store/order/created"}


@get("/fulfillments")
async def fulfillment_view(bigcommerce: BigCommerceBackend, order_id: str | None = None) -> dict:
    return by_order(bigcommerce.shipments, order_id)


@get("/refunds")
async def refund_view(bigcommerce: BigCommerceBackend, order_id: str | None = None) -> dict:
    return by_order(bigcommerce.refunds, order_id)


def not_found(_: Request[Any, Any, Any], exc: BigNotFound) -> Response[bytes]:
    return json_answer([{"status": 404, "message": "The requested resource was not found."}], 404)


def invalid(_: Request[Any, Any, Any], exc: BigInvalid) -> Response[bytes]:
    return json_answer(BigError(status=422, title=str(exc), type="about:blank"), 422)


@get("/v2/time")
async def store_time() -> dict[str, int]:
    """``GET /v2/time``: the store's clock, BigCommerce's documented connectivity check."""
    return {"time": int(time.time())}

BIGCOMMERCE = BackendSpec(
    name="bigcommerce",
    api_path="",
    api_handlers=(store_time, get_order, order_products, order_addresses, list_shipments, create_shipment, list_refunds,
                  create_refund, list_locations, absolute, inventory_items),
    build=BigCommerceBackend,
    throttle_body=THROTTLED,
    throttle_retry_after="1",
    control_handlers=(create_order, redeliver, fulfillment_view, refund_view),
    api_exception_handlers={BigNotFound: not_found, BigInvalid: invalid},
    # X-Auth-Token on every call; a 429 says when the window resets (X-Rate-Limit-Time-Reset-Ms).
    api_middleware=credential_gate(lambda headers: bool(headers.get(b"x-auth-token")),
                                   BigError(status=401, title="Unauthorized", type="about:blank"),
                                   (b"x-rate-limit-time-reset-ms", RESET_MS)),
)
