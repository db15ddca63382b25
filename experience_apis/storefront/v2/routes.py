"""Storefront v2: v1's price and availability with money as objects (CONTRACT section 3)."""

from __future__ import annotations

from shared.problems import strict_body
from litestar import Response, get, post

from experience_apis.edge_needs import CACHEABLE
from experience_apis.http import CurrentPrincipal, requires
from experience_apis.storefront.common import (
    BASKET_PROBLEMS, PRODUCT_PROBLEMS, CurrencyParam, CustomerParam, Pricing, QuantityParam, price_basket,
    price_product, product_answer)
from experience_apis.storefront.v1.schemas import BasketIn
from experience_apis.storefront.v2.schemas import BasketOut, Product

PREFIX = "/v2/storefront"


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
