"""Mobile v1: products at the signed-in customer's price (CONTRACT section 4).

The caller is a mobile app with an identity provider JWT, acting for the
customer in its token (the principal's bound customer); an API key bound to a
customer gives the same principal."""

from __future__ import annotations

from typing import Annotated

from litestar import get

from experience_apis.http import INJECTED, CurrentPrincipal, requires
from experience_apis.mobile.v1.schemas import Product, StockLevels
from process_apis.pricing.port import PricingPort

PREFIX = "/v1/mobile"
Pricing = Annotated[PricingPort, INJECTED]


@get(f"{PREFIX}/products/{{sku:str}}", operation_id="getProduct", tags=["catalog"],
     summary="One product with its price and stock level", guards=[requires("catalog:read")])
async def get_product(
    sku: str, principal: CurrentPrincipal, pricing: Pricing, stock_levels: Annotated[StockLevels, INJECTED]
) -> Product:
    """Scope `catalog:read`. One unit at the token customer's price (list price for none)."""
    product = await pricing.get_product(sku, 1, principal.acting_customer(None))
    return Product.of(product, stock_levels)


HANDLERS = [get_product]
