"""Partner v1: the bound customer's price list (CONTRACT section 5).

Partners call with an API key bound to their customer, or a bearer token from
``POST /oauth/token`` made from such a key; a credential bound to no customer is
403 `customer_required`, whatever its scopes."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post

from experience_apis.orders import (
    PARTNER_ORDER_PROBLEMS, ORDER_HEADERS, IdempotencyKey,
    OrderAccepted, OrderDetail, OrderIdParam, Orders, PartnerOrderIn, command, detail,
    order_body, place, viewer)
from shared.errors import ValidationFailed
from litestar.params import Parameter

from experience_apis.cursors import decode_cursor
from experience_apis.http import INJECTED, CurrentPrincipal, requires, requires_customer
from experience_apis.returns import (
    RETURN_HEADERS, RETURN_PROBLEMS, ReturnDetail, ReturnIn, ReturnOut, Returns, RmaIdParam)
from experience_apis import returns as returns_api
from experience_apis.openapi import problem_response
from experience_apis.partner.v1.schemas import PriceList
from process_apis.pricing.port import PricingPort

PREFIX = "/v1/partner"
Pricing = Annotated[PricingPort, INJECTED]
FORBIDDEN = problem_response("The credential lacks `catalog:read` (`insufficient_scope`) or is bound to no "
                             "customer (`customer_required`).")


@get(f"{PREFIX}/price-list", operation_id="getPriceList", tags=["catalog"], summary="The customer's price list",
     guards=[requires("catalog:read"), requires_customer], responses={403: FORBIDDEN})
async def price_list(
    principal: CurrentPrincipal,
    pricing: Pricing,
    limit: Annotated[int, Parameter(ge=1, le=500, description="Items per page, 1 to 500.")] = 100,
    cursor: Annotated[str | None, Parameter(max_length=200, description="`next_cursor` of the previous page.")] = None,
) -> PriceList:
    """Scope `catalog:read`. Every orderable SKU at the bound customer's price, with its
    quantity breaks, a page at a time. A page may hold fewer than `limit` items; only a
    null `next_cursor` ends the list."""
    page = await pricing.price_list(principal.acting_customer(None), decode_cursor(cursor), limit)
    return PriceList.of(page)


@post(f"{PREFIX}/orders", operation_id="placeOrder", tags=["orders"], status_code=201,
      summary="Place a purchase order (idempotent)", guards=[requires("orders:write"), requires_customer],
      before_request=order_body(PartnerOrderIn), response_headers=ORDER_HEADERS,
      responses=PARTNER_ORDER_PROBLEMS)
async def place_order(data: PartnerOrderIn, principal: CurrentPrincipal, orders: Orders,
                      idempotency_key: IdempotencyKey) -> Response[OrderAccepted]:
    """Scope `orders:write`, header `Idempotency-Key` required. As the storefront, plus `po_number`:
    required and unique per customer (409 `duplicate_po`)."""
    if data.po_number is None:
        raise ValidationFailed(errors=[{"field": "po_number", "message": "required for partner orders"}])
    cmd = command(data, principal, "partner", principal.acting_customer(data.customer_id))
    return await place(orders, cmd, idempotency_key, PREFIX)


@get(f"{PREFIX}/orders/{{order_id:str}}", operation_id="getOrder", tags=["orders"],
     summary="One of the customer's orders", guards=[requires("orders:read"), requires_customer])
async def get_order(order_id: OrderIdParam, principal: CurrentPrincipal, orders: Orders) -> OrderDetail:
    """Scope `orders:read`. Another customer's order is 404."""
    return detail(await orders.get_order(order_id, viewer(principal)))


HANDLERS = [price_list, place_order, get_order]


@post(f"{PREFIX}/returns", operation_id="requestReturn", tags=["returns"], status_code=201,
      summary="Return items of a shipped purchase order (idempotent)",
      guards=[requires("returns:write"), requires_customer], before_request=order_body(ReturnIn),
      response_headers=RETURN_HEADERS, responses=RETURN_PROBLEMS)
async def request_return(data: ReturnIn, principal: CurrentPrincipal, returns: Returns,
                         idempotency_key: IdempotencyKey) -> Response[ReturnOut]:
    """Scope `returns:write`, header `Idempotency-Key` required. As the storefront, for the bound customer."""
    return await returns_api.ask(returns, returns_api.command(data, principal, "partner"), idempotency_key,
                                 PREFIX)


@get(f"{PREFIX}/returns/{{rma_id:str}}", operation_id="getReturn", tags=["returns"],
     summary="One of the customer's returns", guards=[requires("returns:read"), requires_customer])
async def get_return(rma_id: RmaIdParam, principal: CurrentPrincipal, returns: Returns) -> ReturnDetail:
    """Scope `returns:read`. Another customer's return is 404."""
    return returns_api.detail(await returns.get_return(rma_id, viewer(principal)))


HANDLERS += [request_return, get_return]
