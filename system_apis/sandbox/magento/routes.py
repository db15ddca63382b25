"""The Magento 2 sandbox over HTTP: REST below ``/sandbox/magento/rest/V1`` (faulted; a
``Bearer`` integration token required, 401 without), order controls and views, and its spec.

Lists take ``searchCriteria`` (one filter: ``eq``, ``gteq`` or ``in``; a sort;
``pageSize`` and ``currentPage``) and answer ``{"items", "search_criteria",
"total_count"}``; a page past the end answers the last page again, as Magento
does. Errors are ``{"message", "parameters"}``. The throttle fault answers 429
with ``Retry-After: 1`` (a CDN's limiter: Magento itself has none).
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get, post

from system_apis.magento.vendor_schemas import MageError, RefundBody, ShipBody, SourceItems
from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.control_errors import decode_control
from system_apis.sandbox.channel_controls import OrderIn, by_order, credential_gate, json_answer
from system_apis.sandbox.magento.state import MageInvalid, MageNotFound, MagentoBackend

THROTTLED = MageError(message="Too many requests. Try again later.")
CRITERIA = "searchCriteria"


def _decode(body: bytes, type_: type) -> Any:
    try:
        return msgspec.json.decode(body, type=type_)
    except msgspec.DecodeError as exc:
        raise MageInvalid(f'"{type_.__name__}" is not valid.') from exc


def _matches(value: Any, wanted: str, condition: str) -> bool:
    text = str(value)
    if condition == "in":
        return text in wanted.split(",")
    return text >= wanted if condition == "gteq" else text == wanted


def _search(request: Request[Any, Any, Any], rows: list[Any]) -> Response[bytes]:
    """``rows`` filtered, sorted and paged by the request's ``searchCriteria``."""
    query = request.query_params
    items = [msgspec.to_builtins(row) for row in rows]
    at = f"{CRITERIA}[filter_groups][0][filters][0]"
    if f"{at}[field]" in query:
        field, value = query[f"{at}[field]"], query.get(f"{at}[value]", "")
        items = [i for i in items if _matches(i.get(field), value, query.get(f"{at}[condition_type]", "eq"))]
    if sort := query.get(f"{CRITERIA}[sortOrders][0][field]"):
        items.sort(key=lambda i: str(i.get(sort)))
    size = max(1, int(query.get(f"{CRITERIA}[pageSize]", "20") or 20))
    last = max(1, -(-len(items) // size))
    page = min(max(1, int(query.get(f"{CRITERIA}[currentPage]", "1") or 1)), last)
    return json_answer({"items": items[(page - 1) * size:page * size], "search_criteria": {"page_size": size,
                  "current_page": page}, "total_count": len(items)})


@get("/orders")
async def list_orders(request: Request[Any, Any, Any], magento: MagentoBackend) -> Response[bytes]:
    return _search(request, list(magento.orders.values()))


@get("/orders/{order_id:int}")
async def get_order(magento: MagentoBackend, order_id: int) -> Response[bytes]:
    return json_answer(magento.order(order_id))


@post("/order/{order_id:int}/ship")
async def ship(request: Request[Any, Any, Any], magento: MagentoBackend, order_id: int) -> Response[bytes]:
    """Ship (part of) an order with tracks; answers the shipment id. Not idempotent."""
    return json_answer(magento.ship(order_id, _decode(await request.body(), ShipBody)))


@post("/order/{order_id:int}/refund")
async def refund(request: Request[Any, Any, Any], magento: MagentoBackend, order_id: int) -> Response[bytes]:
    """An offline credit memo; answers its id. Not idempotent."""
    return json_answer(magento.refund(order_id, _decode(await request.body(), RefundBody)))


@get("/shipments")
async def list_shipments(request: Request[Any, Any, Any], magento: MagentoBackend) -> Response[bytes]:
    return _search(request, magento.shipments)


@get("/creditmemos")
async def list_memos(request: Request[Any, Any, Any], magento: MagentoBackend) -> Response[bytes]:
    return _search(request, magento.memos)


@post("/inventory/source-items")
async def save_sources(request: Request[Any, Any, Any], magento: MagentoBackend) -> Response[bytes]:
    magento.save_sources(_decode(await request.body(), SourceItems).sourceItems)
    return json_answer([])


@get("/inventory/source-items")
async def list_sources(request: Request[Any, Any, Any], magento: MagentoBackend) -> Response[bytes]:
    return _search(request, [item for _, item in sorted(magento.sources.items())])


@post("/orders", status_code=201)
async def create_order(request: Request[Any, Any, Any], magento: MagentoBackend) -> dict:
    """Control: a shopper places an order; no webhook (the hub polls ``GET /V1/orders``)."""
    order = magento.create(decode_control(await request.body(), OrderIn))
    return {"order": {"id": order.entity_id, **msgspec.to_builtins(order)}, "webhook_id": None}


@get("/fulfillments")
async def fulfillment_view(magento: MagentoBackend, order_id: str | None = None) -> dict:
    return by_order(magento.shipments, order_id)


@get("/refunds")
async def refund_view(magento: MagentoBackend, order_id: str | None = None) -> dict:
    return by_order(magento.memos, order_id)


def not_found(_: Request[Any, Any, Any], exc: MageNotFound) -> Response[bytes]:
    return json_answer(MageError(message="The entity that was requested doesn't exist. Verify the entity and try again."),
                 404)


def invalid(_: Request[Any, Any, Any], exc: MageInvalid) -> Response[bytes]:
    return json_answer(MageError(message=str(exc)), 400)


@get("/store/storeConfigs")
async def store_configs() -> list[dict[str, Any]]:
    """``GET store/storeConfigs``: every store view's configuration, Magento's cheap authenticated read."""
    return [{"id": 1, "code": "default", "website_id": 1, "locale": "en_US", "base_currency_code": "USD",
             "default_display_currency_code": "USD", "timezone": "America/New_York", "weight_unit": "lbs",
             "base_url": "https://magento.sandbox.example.com/"}]

MAGENTO = BackendSpec(
    name="magento",
    api_path="/rest/V1",
    api_handlers=(store_configs, list_orders, get_order, ship, refund, list_shipments, list_memos, save_sources, list_sources),
    build=MagentoBackend,
    throttle_body=THROTTLED,
    throttle_retry_after="1",
    control_handlers=(create_order, fulfillment_view, refund_view),
    api_exception_handlers={MageNotFound: not_found, MageInvalid: invalid},
    api_middleware=credential_gate(lambda headers: headers.get(b"authorization", b"").startswith(b"Bearer "),
                                   MageError(message="The consumer isn't authorized to access %resources.",
                                             parameters={"resources": "Magento_Sales::sales"})),
)
