"""Controls of the legacy ERP sandbox (never faulted), the CloudERP ones' twins: what a clerk
changes on the ERP's green screens (see ``sandbox/erp_controls.py`` for the bodies). Each
answers the changed lines as the next nightly export writes them, a JSON object per line
keyed by the export's columns:

    PUT /sandbox/legacy_erp/items/{sku}/price                  the line of items.csv
    PUT /sandbox/legacy_erp/customers/{id}/credit              the line of customers.csv
    PUT /sandbox/legacy_erp/customers/{id}/item-prices/{sku}   the customer's lines of contract_prices.csv

The ERP announces nothing: the hub sees a change at its next read of an export (every read
of master data is one) or SOAP call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, put
from msgspec.structs import replace

from system_apis.sandbox import erp_controls
from system_apis.sandbox.control_errors import ControlNotFound
from system_apis.sandbox.legacy_erp.company import (
    CONTRACT_COLUMNS,
    CUSTOMER_COLUMNS,
    ITEM_COLUMNS,
    LegacyErpBackend,
    contract_rows,
    customer_row,
    item_row,
)
from system_apis.sandbox.seed import SeedCustomer


def _lines(columns: Sequence[str], rows: list[tuple[str, ...]]) -> dict[str, list[dict[str, str]]]:
    return {"items": [dict(zip(columns, row, strict=True)) for row in rows]}


def _customer(legacy_erp: LegacyErpBackend, customer_id: str) -> SeedCustomer:
    if customer_id not in legacy_erp.customers:
        raise ControlNotFound(f"unknown customer {customer_id}")
    return legacy_erp.customers[customer_id]


@put("/items/{sku:str}/price", status_code=200)
async def set_price(request: Request[Any, Any, Any], legacy_erp: LegacyErpBackend, sku: str) -> dict[str, Any]:
    """Control: change an item's ``LIST_PRICE`` (its quantity breaks stay)."""
    price = erp_controls.list_price(await request.body())
    if sku not in legacy_erp.items:
        raise ControlNotFound(f"unknown sku {sku}")
    item = legacy_erp.items[sku] = replace(legacy_erp.items[sku], list_price=price)
    return _lines(ITEM_COLUMNS, [item_row(item)])


@put("/customers/{customer_id:str}/credit", status_code=200)
async def set_credit(request: Request[Any, Any, Any], legacy_erp: LegacyErpBackend,
                     customer_id: str) -> dict[str, Any]:
    """Control: set a customer's ``ON_HOLD`` and/or ``CREDIT_LIMIT``."""
    hold, limit = erp_controls.credit(await request.body())
    customer = _customer(legacy_erp, customer_id)
    customer = replace(customer, credit_hold=customer.credit_hold if hold is None else hold,
                       credit_limit=customer.credit_limit if limit is None else limit)
    legacy_erp.customers[customer_id] = customer
    return _lines(CUSTOMER_COLUMNS, [customer_row(customer)])


@put("/customers/{customer_id:str}/item-prices/{sku:str}", status_code=200)
async def set_contract_price(request: Request[Any, Any, Any], legacy_erp: LegacyErpBackend, customer_id: str,
                             sku: str) -> dict[str, Any]:
    """Control: set (or, with ``null``, remove) the customer's contract price of one item."""
    price = erp_controls.contract_price(await request.body())
    if sku not in legacy_erp.items:
        raise ControlNotFound(f"unknown sku {sku}")
    customer = _customer(legacy_erp, customer_id)
    prices = [(s, p) for s, p in customer.contract_prices if s != sku] + ([(sku, price)] if price is not None else [])
    customer = legacy_erp.customers[customer_id] = replace(customer, contract_prices=tuple(sorted(prices)))
    return _lines(CONTRACT_COLUMNS, contract_rows(customer))


CONTROLS = (set_price, set_credit, set_contract_price)
