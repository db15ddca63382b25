"""Mobile v1: products at the signed-in customer's price (CONTRACT section 4).

The caller is a mobile app with an identity provider JWT, acting for the
customer in its token (the principal's bound customer); an API key bound to a
customer gives the same principal."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.params import Parameter

from experience_apis.orders import (
    ORDER_PROBLEMS, ORDER_HEADERS, IdempotencyKey,
    OrderAccepted, OrderDetail, OrderIdParam, OrderIn, Orders, command, detail,
    order_body, place, viewer)

from experience_apis.edge_needs import CACHEABLE
from experience_apis.http import INJECTED, CurrentPrincipal, requires
from experience_apis.returns import (
    RETURN_HEADERS, RETURN_PROBLEMS, ReturnDetail, ReturnIn, ReturnOut, Returns, RmaIdParam)
from experience_apis import returns as returns_api
from experience_apis.storefront.common import PRODUCT_PROBLEMS, product_answer
from experience_apis.mobile.v1.schemas import OrderList, OrderListItem, Product, StockLevels
from process_apis.pricing.port import PricingPort

PREFIX = "/v1/mobile"
Pricing = Annotated[PricingPort, INJECTED]


@get(f"{PREFIX}/products/{{sku:str}}", operation_id="getProduct", tags=["catalog"], opt=CACHEABLE,
     summary="One product with its price and stock level", guards=[requires("catalog:read")],
     responses=PRODUCT_PROBLEMS)
async def get_product(
    sku: str, principal: CurrentPrincipal, pricing: Pricing, stock_levels: Annotated[StockLevels, INJECTED]
) -> Response[Product]:
    """Scope `catalog:read`. One unit at the token customer's price (list price for none)."""
    product = await pricing.get_product(sku, 1, principal.acting_customer(None), channel="mobile")
    return product_answer(Product.of(product, stock_levels), product.stock_partial)


@post(f"{PREFIX}/orders", operation_id="placeOrder", tags=["orders"], status_code=201,
      summary="Place an order for the signed-in customer (idempotent)", guards=[requires("orders:write")],
      before_request=order_body(OrderIn), response_headers=ORDER_HEADERS,
      responses=ORDER_PROBLEMS)
async def place_order(data: OrderIn, principal: CurrentPrincipal, orders: Orders,
                      idempotency_key: IdempotencyKey) -> Response[OrderAccepted]:
    """Scope `orders:write`, header `Idempotency-Key` required. As the storefront, for the token's customer."""
    cmd = command(data, principal, "mobile", principal.acting_customer(data.customer_id))
    return await place(orders, cmd, idempotency_key, PREFIX)


@get(f"{PREFIX}/orders", operation_id="listOrders", tags=["orders"], summary="The customer's orders, newest first",
     guards=[requires("orders:read")])
async def list_orders(
    principal: CurrentPrincipal, orders: Orders,
    limit: Annotated[int, Parameter(ge=1, le=100, description="Orders per page, 1 to 100.")] = 20,
    cursor: Annotated[str | None, Parameter(max_length=64, pattern=r"^ord_[0-9a-z]{26}$",
                                            description="`next_cursor` of the previous page.")] = None,
) -> OrderList:
    """Scope `orders:read`. Only null `next_cursor` ends the list."""
    page = await orders.list_orders(viewer(principal), limit, cursor)
    return OrderList(items=[OrderListItem(order_id=o.order_id, status=o.status, total=o.total, currency=o.currency,
                                          created_at=o.created_at) for o in page.items], next_cursor=page.next_cursor)


@get(f"{PREFIX}/orders/{{order_id:str}}", operation_id="getOrder", tags=["orders"],
     summary="One of the customer's orders", guards=[requires("orders:read")])
async def get_order(order_id: OrderIdParam, principal: CurrentPrincipal, orders: Orders) -> OrderDetail:
    """Scope `orders:read`. Another customer's order is 404."""
    return detail(await orders.get_order(order_id, viewer(principal)))


HANDLERS = [get_product, place_order, list_orders, get_order]


@post(f"{PREFIX}/returns", operation_id="requestReturn", tags=["returns"], status_code=201,
      summary="Return items of one of the customer's shipped orders (idempotent)", guards=[requires("returns:write")],
      before_request=order_body(ReturnIn), response_headers=RETURN_HEADERS, responses=RETURN_PROBLEMS)
async def request_return(data: ReturnIn, principal: CurrentPrincipal, returns: Returns,
                         idempotency_key: IdempotencyKey) -> Response[ReturnOut]:
    """Scope `returns:write`, header `Idempotency-Key` required. As the storefront, for the token's customer."""
    return await returns_api.ask(returns, returns_api.command(data, principal, "mobile"), idempotency_key, PREFIX)


@get(f"{PREFIX}/returns/{{rma_id:str}}", operation_id="getReturn", tags=["returns"],
     summary="One of the customer's returns", guards=[requires("returns:read")])
async def get_return(rma_id: RmaIdParam, principal: CurrentPrincipal, returns: Returns) -> ReturnDetail:
    """Scope `returns:read`. Another customer's return is 404."""
    return returns_api.detail(await returns.get_return(rma_id, viewer(principal)))


HANDLERS += [request_return, get_return]
