"""The Shopify sandbox over HTTP: Admin REST API, order controls, views, call limit, spec.

Vendor API below ``/sandbox/shopify/admin/api/2024-10`` (faulted). Every call
needs an ``X-Shopify-Access-Token`` (any value; 401 without) and passes the
leaky bucket (40 calls, 2/s leak): each answer carries
``X-Shopify-Shop-Api-Call-Limit: n/40``; a full bucket answers 429 with
``Retry-After: 1.0``. GraphQL (``/graphql.json``, ``shopify_graphql``) has its
own cost-based limit instead.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.control_errors import ControlNotFound, decode_control
from system_apis.sandbox.shopify.state import ShopifyBackend
from system_apis.sandbox.shopify.graphql import graphql
from system_apis.sandbox.shopify.schemas import (
    THROTTLED,
    UNAUTHORIZED,
    FulfillmentAnswer,
    FulfillmentRequest,
    FulfillmentView,
    FulfillmentViews,
    InventoryLevelAnswer,
    InventoryLevels,
    InventorySet,
    InventoryView,
    OrderCreated,
    OrderIn,
    Redelivered,
    RefundAnswer,
    RefundRequest,
    RefundsAnswer,
    RefundViews,
    ShopifyErrors,
    ShopifyInvalid,
    ShopifyNotFound,
    decode_shopify,
)

RETRY_AFTER = "1.0"
CALL_LIMIT = "X-Shopify-Shop-Api-Call-Limit"


@post("/inventory_levels/set.json", status_code=200)
async def set_inventory_level(request: Request[Any, Any, Any], shopify: ShopifyBackend) -> InventoryLevelAnswer:
    """Set what the storefront may sell of an item (SKU) at a location (its name)."""
    change = decode_shopify(await request.body(), InventorySet)
    return InventoryLevelAnswer(inventory_level=shopify.set_level(change))


@get("/inventory_levels.json")
async def list_inventory_levels(
    shopify: ShopifyBackend, inventory_item_ids: str | None = None, location_ids: str | None = None
) -> InventoryLevels:
    """Levels of the comma-separated items and locations (all when not given)."""
    return InventoryLevels(inventory_levels=shopify.levels(_split(inventory_item_ids), _split(location_ids)))


@post("/orders/{order_id:int}/fulfillments.json")
async def create_fulfillment(
    request: Request[Any, Any, Any], shopify: ShopifyBackend, order_id: int
) -> Response[FulfillmentAnswer]:
    """Fulfil (part of) an order with tracking; a repeated ``Idempotency-Key`` answers the first."""
    body: FulfillmentRequest = decode_shopify(await request.body(), FulfillmentRequest)
    key = request.headers.get("Idempotency-Key") or None
    fulfillment = shopify.fulfil(order_id, body.fulfillment, key)
    return Response(FulfillmentAnswer(fulfillment=fulfillment), status_code=201)


@post("/orders/{order_id:int}/refunds.json")
async def create_refund(
    request: Request[Any, Any, Any], shopify: ShopifyBackend, order_id: int
) -> Response[RefundAnswer]:
    """Give (part of) an order back: its lines and money; not idempotent, as on Shopify."""
    body: RefundRequest = decode_shopify(await request.body(), RefundRequest)
    return Response(RefundAnswer(refund=shopify.refunds.create(order_id, body.refund)), status_code=201)


@get("/orders/{order_id:int}/refunds.json")
async def list_refunds(shopify: ShopifyBackend, order_id: int) -> RefundsAnswer:
    """The order's refunds, oldest first."""
    return RefundsAnswer(refunds=shopify.refunds.of(order_id))


@post("/orders", status_code=201)
async def create_order(request: Request[Any, Any, Any], shopify: ShopifyBackend) -> OrderCreated:
    """Control: a shopper places a paid order; it is announced as an ``orders/create`` webhook."""
    order, webhook_id = shopify.orders.create(decode_control(await request.body(), OrderIn))
    return OrderCreated(order=order, webhook_id=webhook_id)


@post("/orders/{order_id:int}/redeliver", status_code=200)
async def redeliver(shopify: ShopifyBackend, order_id: int) -> Redelivered:
    """Control: send the order's webhook again, with the same webhook id."""
    webhook_id = shopify.orders.redeliver(order_id)
    if webhook_id is None:
        raise ControlNotFound(f"unknown order {order_id}")
    return Redelivered(order_id=order_id, webhook_id=webhook_id, topic="orders/create")


@get("/inventory/{sku:str}")
async def inventory_view(shopify: ShopifyBackend, sku: str) -> InventoryView:
    """Control: what the storefront shows for a SKU (0 and no levels when never set)."""
    return shopify.inventory_view(sku)


@get("/fulfillments")
async def fulfillment_view(shopify: ShopifyBackend, order_id: str | None = None) -> FulfillmentViews:
    """Control: the fulfilments made, filtered by Shopify order id."""
    items = [
        FulfillmentView(
            fulfillment_id=f.id,
            order_id=str(f.order_id),
            tracking_number=f.tracking_number,
            tracking_company=f.tracking_company,
            line_items=f.line_items,
            created_at=f.created_at,
        )
        for f in shopify.fulfillments(order_id)
    ]
    return FulfillmentViews(items=items)


@get("/refunds")
async def refund_view(shopify: ShopifyBackend, order_id: str | None = None) -> RefundViews:
    """Control: the refunds made, filtered by Shopify order id."""
    return RefundViews(items=shopify.refunds.views(order_id))


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [part.strip() for part in value.split(",") if part.strip()]


def call_limit(shop: ShopifyBackend) -> list[Any]:
    """The vendor API's outer ASGI layer: access token, then the leaky bucket (see the module docstring)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def limited(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            if not dict(scope["headers"]).get(b"x-shopify-access-token"):
                await _answer(send, 401, UNAUTHORIZED, [])
                return
            if scope["path"].endswith("/graphql.json"):  # its own cost-based limit
                await app(scope, receive, send)
                return
            used = shop.bucket.take()
            if used is None:
                limit = (CALL_LIMIT.lower().encode(), f"{shop.bucket.size}/{shop.bucket.size}".encode())
                await _answer(send, 429, THROTTLED, [limit, (b"retry-after", RETRY_AFTER.encode())])
                return
            header = (CALL_LIMIT.lower().encode(), f"{used}/{shop.bucket.size}".encode())

            async def with_limit(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []), header]}
                await send(message)

            await app(scope, receive, with_limit)

        return limited

    return [middleware]


async def _answer(send: Send, status: int, body: ShopifyErrors, headers: list[tuple[bytes, bytes]]) -> None:
    content = msgspec.json.encode(body)
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()), *headers],
    })
    await send({"type": "http.response.body", "body": content})


def not_found(_: Request[Any, Any, Any], exc: ShopifyNotFound) -> Response[ShopifyErrors]:
    return Response(ShopifyErrors("Not Found"), status_code=404)


def invalid(_: Request[Any, Any, Any], exc: ShopifyInvalid) -> Response[ShopifyErrors]:
    return Response(ShopifyErrors({exc.field: [str(exc)]}), status_code=422)


@get("/shop.json")
async def shop() -> dict[str, Any]:
    """``GET shop.json``: the shop's own record, the Admin API's connectivity check."""
    return {"shop": {"id": 548380009, "name": "Commerce Hub Sandbox", "myshopify_domain": "sandbox.myshopify.com",
                     "currency": "USD", "plan_name": "partner_test"}}

SHOPIFY = BackendSpec(
    name="shopify",
    api_path="/admin/api/2024-10",
    api_handlers=(shop, set_inventory_level, list_inventory_levels, create_fulfillment, create_refund, list_refunds,
                  graphql),
    build=ShopifyBackend,
    throttle_body=THROTTLED,
    throttle_retry_after=RETRY_AFTER,
    control_handlers=(create_order, redeliver, inventory_view, fulfillment_view, refund_view),
    api_exception_handlers={ShopifyNotFound: not_found, ShopifyInvalid: invalid},
    api_middleware=call_limit,
)
