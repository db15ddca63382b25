"""What every storefront version shares: its query parameters, its port, and the two
process calls. A version's routes only name its paths and shape its answers."""

from __future__ import annotations

from typing import Annotated

from litestar import Response
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.openapi import problems
from experience_apis.storefront.v1.schemas import BasketIn
from process_apis.pricing.port import PricingPort
from process_apis.pricing.schemas import BasketLine, BasketResult, ProductPrice
from shared.identity import Principal

CHANNEL = "storefront"
"""The channel whose safety buffer the storefront's availability holds back (every version)."""
Pricing = Annotated[PricingPort, INJECTED]
QuantityParam = Annotated[int, Parameter(ge=1, le=1_000_000)]
CustomerParam = Annotated[str | None, Parameter(min_length=1, max_length=64)]
CurrencyParam = Annotated[str, Parameter(pattern=r"^[A-Z]{3}$", description=(
    "ISO 4217 code; one the hub sells in (setting `HUB_CURRENCIES`, default `USD`), else 422 "
    "`unsupported_currency`."))]
_CATALOG_RULES = {422: "Invalid input (`validation_failed` with `errors`), a customer the back office does not know "
                       "(`unknown_customer`) or a currency the hub does not sell in (`unsupported_currency`, "
                       "`errors` naming `currency`)."}
PRODUCT_PROBLEMS = problems(_CATALOG_RULES, {404: "No such SKU (`unknown_sku`)."})
BASKET_PROBLEMS = problems(_CATALOG_RULES)


async def price_product(pricing: PricingPort, principal: Principal, sku: str, quantity: int,
                        customer_id: str | None, currency: str) -> ProductPrice:
    """Priced for the customer the principal acts for (contract, quantity break or list)."""
    return await pricing.get_product(sku, quantity, principal.acting_customer(customer_id), currency, CHANNEL)


def product_answer(body: object, partial: bool) -> Response:
    """A partial answer (a stock source did not answer) says ``Cache-Control: no-store``: the
    edge's cache does not keep it, so the next read asks the missing source again."""
    return Response(body, headers={"Cache-Control": "no-store"} if partial else {})


async def price_basket(pricing: PricingPort, principal: Principal, data: BasketIn) -> BasketResult:
    customer = principal.acting_customer(data.customer_id)
    lines = [BasketLine(sku=line.sku, quantity=line.quantity) for line in data.lines]
    return await pricing.price_basket(lines, customer, data.currency, CHANNEL)
