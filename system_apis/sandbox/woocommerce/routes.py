"""The WooCommerce sandbox over HTTP: REST API v3 below ``/sandbox/woocommerce/wp-json/wc/v3``
(faulted; HTTP Basic required, 401 without), order controls and views, and its ``BackendSpec``.

Errors are WooCommerce's ``{"code", "message", "data": {"status"}}``; a list
is paged by ``page`` / ``per_page`` (at most 100) with ``X-WP-Total`` and
``X-WP-TotalPages``; the throttle fault answers 429 with ``Retry-After: 1``
(as a host's limiter would: WooCommerce core has none).
"""

from __future__ import annotations

import math
from typing import Any

import msgspec
from litestar import Request, Response, get, post, put

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.control_errors import ControlNotFound, decode_control
from system_apis.sandbox.channel_controls import OrderIn, credential_gate, json_answer
from system_apis.sandbox.woocommerce.state import WooBackend, WooNotFound
from system_apis.woocommerce.vendor_schemas import (
    WooBatch, WooBatchAnswer, WooError, WooErrorData, WooNote, WooOrderUpdate, WooRefundOut, WooStockUpdate,
)

THROTTLED = WooError(code="woocommerce_rest_too_many_requests", message="Too many requests.",
                     data=WooErrorData(status=429))


class WooInvalid(Exception):
    pass


def _decode(body: bytes, type_: type) -> Any:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise WooInvalid(str(exc)) from exc


@get("/products")
async def list_products(woocommerce: WooBackend, sku: str | None = None, page: int = 1,
                        per_page: int = 10) -> Response[bytes]:
    """Products by comma-separated SKUs, one page."""
    per_page = max(1, min(per_page, 100))
    found = woocommerce.find([s for s in sku.split(",") if s] if sku else None)
    pages = max(1, math.ceil(len(found) / per_page))
    return json_answer(found[(page - 1) * per_page:page * per_page],
                 headers={"X-WP-Total": str(len(found)), "X-WP-TotalPages": str(pages)})


@put("/products/{product_id:int}")
async def update_product(request: Request[Any, Any, Any], woocommerce: WooBackend, product_id: int) -> Response[bytes]:
    change: WooStockUpdate = _decode(await request.body(), WooStockUpdate)
    return json_answer(woocommerce.set_stock(product_id, change))


@post("/products/batch")
async def batch_products(request: Request[Any, Any, Any], woocommerce: WooBackend) -> Response[bytes]:
    """Up to 100 updates, all checked before any is made."""
    batch: WooBatch = _decode(await request.body(), WooBatch)
    if len(batch.update) > 100 or any(u.id not in woocommerce.products for u in batch.update):
        raise WooInvalid("at most 100 updates, each of a product the store has")
    return json_answer(WooBatchAnswer(update=[woocommerce.set_stock(u.id or 0, u) for u in batch.update]))


@get("/orders/{order_id:int}")
async def get_order(woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    return json_answer(woocommerce.order(order_id))


@put("/orders/{order_id:int}")
async def update_order(request: Request[Any, Any, Any], woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    return json_answer(woocommerce.set_status(order_id, _decode(await request.body(), WooOrderUpdate).status))


@get("/orders/{order_id:int}/notes")
async def list_notes(woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    woocommerce.order(order_id)
    return json_answer(list(reversed(woocommerce.notes.get(order_id, []))))  # newest first, as WooCommerce lists


@post("/orders/{order_id:int}/notes")
async def add_note(request: Request[Any, Any, Any], woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    return json_answer(woocommerce.add_note(order_id, _decode(await request.body(), WooNote)), 201)


@get("/orders/{order_id:int}/refunds")
async def list_refunds(woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    woocommerce.order(order_id)
    return json_answer(list(reversed(woocommerce.refunds.get(order_id, []))))


@post("/orders/{order_id:int}/refunds")
async def create_refund(request: Request[Any, Any, Any], woocommerce: WooBackend, order_id: int) -> Response[bytes]:
    """Not idempotent, as on WooCommerce."""
    return json_answer(woocommerce.add_refund(order_id, _decode(await request.body(), WooRefundOut)), 201)


@post("/orders", status_code=201)
async def create_order(request: Request[Any, Any, Any], woocommerce: WooBackend) -> dict:
    """Control: a shopper places a paid order; it is announced as an ``order.created`` webhook."""
    order, delivery = woocommerce.create(decode_control(await request.body(), OrderIn))
    return {"order": msgspec.to_builtins(order), "webhook_id": delivery}


@post("/orders/{order_id:int}/redeliver", status_code=200)
async def redeliver(woocommerce: WooBackend, order_id: int) -> dict:
    """Control: send the order's webhook again (a new delivery id, the same order)."""
    delivery = woocommerce.deliver(order_id)
    if delivery is None:
        raise ControlNotFound(f"unknown order {order_id}")
    return {"order_id": order_id, "webhook_id": delivery, "topic": "order.created"}


@get("/fulfillments")
async def fulfillment_view(woocommerce: WooBackend, order_id: str | None = None) -> dict:
    """Control: the hub's fulfilment notes, with their order's status."""
    return {"items": [{"order_id": str(oid), "status": woocommerce.orders[oid].status, "note": n.note}
                      for oid, notes in sorted(woocommerce.notes.items()) for n in notes
                      if n.note.startswith("Shipped") and (order_id is None or str(oid) == order_id)]}


@get("/refunds")
async def refund_view(woocommerce: WooBackend, order_id: str | None = None) -> dict:
    return {"items": [{"order_id": str(oid), **msgspec.to_builtins(r)} for oid, made in
                      sorted(woocommerce.refunds.items()) for r in made if order_id is None or str(oid) == order_id]}


def not_found(_: Request[Any, Any, Any], exc: WooNotFound) -> Response[bytes]:
    return json_answer(WooError(code=exc.code, message="Invalid ID.", data=WooErrorData(status=404)), 404)


def invalid(_: Request[Any, Any, Any], exc: WooInvalid) -> Response[bytes]:
    return json_answer(WooError(code="rest_invalid_param", message="Invalid parameter(s).", data=WooErrorData(status=400)),
                 400)


@get("/system_status")
async def system_status() -> dict[str, Any]:
    """``GET system_status``: WooCommerce's own report of its environment (a short one here)."""
    return {"environment": {"home_url": "https://sandbox.example.com", "version": "9.4.0", "wp_version": "6.7"},
            "settings": {"currency": "USD", "api_enabled": True}}

WOOCOMMERCE = BackendSpec(
    name="woocommerce",
    api_path="/wp-json/wc/v3",
    api_handlers=(system_status, list_products, update_product, batch_products, get_order, update_order, list_notes, add_note,
                  list_refunds, create_refund),
    build=WooBackend,
    throttle_body=THROTTLED,
    throttle_retry_after="1",
    control_handlers=(create_order, redeliver, fulfillment_view, refund_view),
    api_exception_handlers={WooNotFound: not_found, WooInvalid: invalid},
    api_middleware=credential_gate(lambda headers: headers.get(b"authorization", b"").startswith(b"Basic "),
                                   WooError(code="woocommerce_rest_cannot_view", message="Sorry, you cannot list "
                                            "resources.", data=WooErrorData(status=401))),
)
