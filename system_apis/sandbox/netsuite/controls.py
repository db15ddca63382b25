"""Controls of the NetSuite sandbox (never faulted), the CloudERP ones' twins: what an
accountant changes in NetSuite's screens (see ``sandbox/erp_controls.py`` for the bodies).
Each answers the changed rows as SuiteQL returns them:

    PUT /sandbox/netsuite/items/{sku}/price                   the item and its Base Price rows
    PUT /sandbox/netsuite/customers/{id}/credit               the customer (``creditholdoverride``)
    PUT /sandbox/netsuite/customers/{id}/item-prices/{sku}    the customer's ``customeritempricing`` rows

NetSuite sends no event the hub hears here: the hub sees a change at its next read or full sync.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from litestar import Request, Response, put

from system_apis.sandbox import erp_controls
from system_apis.sandbox.control_errors import ControlNotFound
from system_apis.sandbox.netsuite.account import NetSuiteAccount
from system_apis.sandbox.netsuite.records import BASE_PRICE_LEVEL, CURRENCIES
from system_apis.sandbox.netsuite.routes import rows_answer
from system_apis.sandbox.seed import CURRENCY


def _row(account: NetSuiteAccount, table: str, field: str, value: str) -> dict[str, Any]:
    found = next((r for r in account.tables[table] if r.get(field) == value), None)
    if found is None:
        raise ControlNotFound(f"unknown {table} {value}")
    return found


def _two(amount: Decimal) -> str:
    return f"{amount:.2f}"


@put("/items/{sku:str}/price", status_code=200)
async def set_price(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, sku: str) -> Response[bytes]:
    """Control: change the item's Base Price (price level 1, no quantity); its breaks stay."""
    price = erp_controls.list_price(await request.body())
    item = _row(netsuite, "item", "itemid", sku)
    pricing = [r for r in netsuite.tables["pricing"] if r["item"] == item["id"] and r["pricelevel"] == BASE_PRICE_LEVEL]
    for row in pricing:
        if row["quantity"] == "0":
            row["unitprice"] = _two(price)
    return rows_answer([item, *pricing])


@put("/customers/{customer_id:str}/credit", status_code=200)
async def set_credit(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, customer_id: str) -> Response[bytes]:
    """Control: the credit hold override (``ON`` holds, ``AUTO`` does not) and/or the credit limit."""
    hold, limit = erp_controls.credit(await request.body())
    customer = _row(netsuite, "customer", "entityid", customer_id)
    if hold is not None:
        customer["creditholdoverride"] = "ON" if hold else "AUTO"
    if limit is not None:
        customer["creditlimit"] = _two(limit)
    return rows_answer([customer])


@put("/customers/{customer_id:str}/item-prices/{sku:str}", status_code=200)
async def set_contract_price(request: Request[Any, Any, Any], netsuite: NetSuiteAccount, customer_id: str,
                             sku: str) -> Response[bytes]:
    """Control: set (or, with ``null``, remove) the customer's own price of one item."""
    price = erp_controls.contract_price(await request.body())
    item = _row(netsuite, "item", "itemid", sku)
    customer = _row(netsuite, "customer", "entityid", customer_id)
    table = netsuite.tables["customeritempricing"]
    table[:] = [r for r in table if (r["customer"], r["item"]) != (customer["id"], item["id"])]
    if price is not None:
        table.append({"customer": customer["id"], "item": item["id"], "level": "-1",
                      "currency": CURRENCIES[CURRENCY][0], "price": _two(price)})
    return rows_answer([r for r in table if r["customer"] == customer["id"]])


CONTROLS = (set_price, set_credit, set_contract_price)
