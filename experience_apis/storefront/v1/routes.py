"""Storefront v1: price and availability for checkout (CONTRACT section 3)."""

from __future__ import annotations

from litestar import Response, get, post

from experience_apis.orders import (
    ORDER_PROBLEMS, ORDER_HEADERS, IdempotencyKey,
    OrderAccepted, OrderDetail, OrderIdParam, OrderIn, Orders, command, detail,
    order_body, place, viewer)

from experience_apis.edge_needs import CACHEABLE
from experience_apis.http import CurrentPrincipal, requires
from experience_apis.returns import (
    RETURN_HEADERS, RETURN_PROBLEMS, ReturnDetail, ReturnIn, ReturnOut, Returns, RmaIdParam)
from experience_apis import returns as returns_api
from experience_apis.storefront.common import (
    BASKET_PROBLEMS, PRODUCT_PROBLEMS, CurrencyParam, CustomerParam, Pricing, QuantityParam, price_basket,
    price_product, product_answer)
from shared.problems import strict_body
from experience_apis.storefront.v1.schemas import BasketIn, BasketOut, Product

PREFIX = "/v1/storefront"


@get(f"{PREFIX}/products/{{sku:str}}", operation_id="getProduct", tags=["catalog"], opt=CACHEABLE,
     summary="Price and availability of one SKU", guards=[requires("catalog:read")], responses=PRODUCT_PROBLEMS)
async def get_product(
    sku: str,
    principal: CurrentPrincipal,
    pricing: Pricing,
    quantity: QuantityParam = 1,
    customer_id: CustomerParam = None,
    currency: CurrencyParam = "USD",
) -> Response[Product]:
    """Scope `catalog:read`. Priced for the acting customer (contract, quantity break or list)."""
    product = await price_product(pricing, principal, sku, quantity, customer_id, currency)
    return product_answer(Product.of(product), product.stock_partial)


@post(f"{PREFIX}/price-availability", operation_id="priceBasket", tags=["catalog"], status_code=200,
      summary="Price and availability of a checkout basket", guards=[requires("catalog:read")],
      before_request=strict_body(BasketIn), responses=BASKET_PROBLEMS)
async def price_availability(data: BasketIn, principal: CurrentPrincipal, pricing: Pricing) -> BasketOut:
    """Scope `catalog:read`. 1 to 200 lines; each line answered on its own."""
    return BasketOut.of(await price_basket(pricing, principal, data))


HANDLERS = [get_product, price_availability]


@post(f"{PREFIX}/orders", operation_id="placeOrder", tags=["orders"], status_code=201,
      summary="Place an order (idempotent)", guards=[requires("orders:write")],
      before_request=order_body(OrderIn), response_headers=ORDER_HEADERS,
      responses=ORDER_PROBLEMS)
async def place_order(data: OrderIn, principal: CurrentPrincipal, orders: Orders,
                      idempotency_key: IdempotencyKey) -> Response[OrderAccepted]:
    """Scope `orders:write`, header `Idempotency-Key` required. Validated against the back office,
    stock reserved, then posted to the ERP and released to the WMS asynchronously."""
    cmd = command(data, principal, "storefront", principal.acting_customer(data.customer_id))
    return await place(orders, cmd, idempotency_key, PREFIX)


@get(f"{PREFIX}/orders/{{order_id:str}}", operation_id="getOrder", tags=["orders"],
     summary="An order with its history and shipments", guards=[requires("orders:read")])
async def get_order(order_id: OrderIdParam, principal: CurrentPrincipal, orders: Orders) -> OrderDetail:
    """Scope `orders:read`. Another customer's order is 404."""
    return detail(await orders.get_order(order_id, viewer(principal)))


HANDLERS += [place_order, get_order]


@post(f"{PREFIX}/returns", operation_id="requestReturn", tags=["returns"], status_code=201,
      summary="Return items of a shipped order (idempotent)", guards=[requires("returns:write")],
      before_request=order_body(ReturnIn), response_headers=RETURN_HEADERS, responses=RETURN_PROBLEMS)
async def request_return(data: ReturnIn, principal: CurrentPrincipal, returns: Returns,
                         idempotency_key: IdempotencyKey) -> Response[ReturnOut]:
    """Scope `returns:write`, header `Idempotency-Key` required. Each line approved (refunded at the
    price paid) or rejected (`final_sale`, `outside_return_window`); 422 `not_shipped` or
    `quantity_exceeds_returnable`. A refund above the review threshold waits in `pending_review`."""
    return await returns_api.ask(returns, returns_api.command(data, principal, "storefront"), idempotency_key,
                                 PREFIX)


@get(f"{PREFIX}/returns/{{rma_id:str}}", operation_id="getReturn", tags=["returns"],
     summary="A return with its refund and history", guards=[requires("returns:read")])
async def get_return(rma_id: RmaIdParam, principal: CurrentPrincipal, returns: Returns) -> ReturnDetail:
    """Scope `returns:read`. Another customer's return is 404."""
    return returns_api.detail(await returns.get_return(rma_id, viewer(principal)))


HANDLERS += [request_return, get_return]
