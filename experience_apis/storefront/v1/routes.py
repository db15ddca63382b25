"""Storefront v1: price and availability for checkout (CONTRACT section 3)."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED, CurrentPrincipal, requires
from shared.problems import strict_body
from experience_apis.storefront.v1.schemas import BasketIn, BasketOut, Product
from process_apis.pricing.port import PricingPort
from process_apis.pricing.schemas import BasketLine

PREFIX = "/v1/storefront"
Pricing = Annotated[PricingPort, INJECTED]


@get(f"{PREFIX}/products/{{sku:str}}", operation_id="getProduct", tags=["catalog"],
     summary="Price and availability of one SKU", guards=[requires("catalog:read")])
async def get_product(
    sku: str,
    principal: CurrentPrincipal,
    pricing: Pricing,
    quantity: Annotated[int, Parameter(ge=1, le=1_000_000)] = 1,
    customer_id: Annotated[str | None, Parameter(min_length=1, max_length=64)] = None,
    currency: Annotated[str, Parameter(pattern=r"^[A-Z]{3}$")] = "USD",
) -> Product:
    """Scope `catalog:read`. Priced for the acting customer (contract, quantity break or list)."""
    customer = principal.acting_customer(customer_id)
    return Product.of(await pricing.get_product(sku, quantity, customer, currency))


@post(f"{PREFIX}/price-availability", operation_id="priceBasket", tags=["catalog"], status_code=200,
      summary="Price and availability of a checkout basket", guards=[requires("catalog:read")],
      before_request=strict_body(BasketIn))
async def price_availability(data: BasketIn, principal: CurrentPrincipal, pricing: Pricing) -> BasketOut:
    """Scope `catalog:read`. 1 to 200 lines; each line answered on its own."""
    customer = principal.acting_customer(data.customer_id)
    lines = [BasketLine(sku=line.sku, quantity=line.quantity) for line in data.lines]
    return BasketOut.of(await pricing.price_basket(lines, customer, data.currency))


HANDLERS = [get_product, price_availability]
