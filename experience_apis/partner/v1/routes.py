"""Partner v1: the bound customer's price list (CONTRACT section 5).

Partners call with an API key bound to their customer, or a bearer token from
``POST /oauth/token`` made from such a key; a credential bound to no customer is
403 `customer_required`, whatever its scopes."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from experience_apis.cursors import decode_cursor
from experience_apis.http import INJECTED, CurrentPrincipal, requires, requires_customer
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


HANDLERS = [price_list]
