"""Controls of the QuickBooks sandbox (never faulted), the CloudERP ones' twins: what a
bookkeeper changes in QBO's screens. Each answers the changed QBO record.

    PUT /sandbox/quickbooks/items/{sku}/price                     {"list_price": "119.00"}
    PUT /sandbox/quickbooks/customers/{id}/credit                 {"credit_hold"?, "credit_limit"?}
    PUT /sandbox/quickbooks/customers/{id}/item-prices/{sku}      {"unit_price": "95.00" | null}

QBO sends no event the hub hears (see docs/vendors/quickbooks.md): the hub sees
a change at its next read or full sync.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, put

from system_apis.sandbox import erp_controls
from system_apis.sandbox.control_errors import ControlNotFound
from system_apis.sandbox.quickbooks import records
from system_apis.sandbox.quickbooks.company import QuickBooksBackend
from system_apis.sandbox.quickbooks.routes import render_record


def _one(company: QuickBooksBackend, entity: str, field: str, value: str) -> dict[str, Any]:
    found = next((r for r in company.entities[entity].values() if r.get(field) == value), None)
    if found is None:
        raise ControlNotFound(f"unknown {entity.lower()} {value}")
    return found


def _touch(record: dict[str, Any]) -> None:
    record["SyncToken"] = str(int(record["SyncToken"]) + 1)
    record["MetaData"] = {**record["MetaData"], "LastUpdatedTime": records.now()}


def _set_field(customer: dict[str, Any], name: str, value: str) -> None:
    for field in customer["CustomField"]:
        if field["Name"] == name:
            field["StringValue"] = value


@put("/items/{sku:str}/price", status_code=200)
async def set_price(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, sku: str) -> Response[bytes]:
    """Control: change an item's ``UnitPrice``."""
    price = erp_controls.list_price(await request.body())
    item = _one(quickbooks, "Item", "Sku", sku)
    item["UnitPrice"] = price
    _touch(item)
    return render_record(item)


@put("/customers/{customer_id:str}/credit", status_code=200)
async def set_credit(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend,
                     customer_id: str) -> Response[bytes]:
    """Control: set the ``Credit Hold`` and/or ``Credit Limit`` custom fields."""
    hold, limit = erp_controls.credit(await request.body())
    customer = _one(quickbooks, "Customer", "DisplayName", customer_id)
    if hold is not None:
        _set_field(customer, "Credit Hold", "Yes" if hold else "No")
    if limit is not None:
        _set_field(customer, "Credit Limit", f"{limit:.2f}")
    _touch(customer)
    return render_record(customer)


@put("/customers/{customer_id:str}/item-prices/{sku:str}", status_code=200)
async def set_contract_price(request: Request[Any, Any, Any], quickbooks: QuickBooksBackend, customer_id: str,
                             sku: str) -> Response[bytes]:
    """Control: set (or, with ``null``, remove) one pair of the ``Contract Prices`` custom field."""
    price = erp_controls.contract_price(await request.body())
    _one(quickbooks, "Item", "Sku", sku)
    customer = _one(quickbooks, "Customer", "DisplayName", customer_id)
    field = next(f for f in customer["CustomField"] if f["Name"] == "Contract Prices")
    pairs = dict(p.split("=", 1) for p in (x.strip() for x in field["StringValue"].split(";")) if "=" in p)
    pairs.pop(sku, None)
    if price is not None:
        pairs[sku] = f"{price:.2f}"
    field["StringValue"] = "; ".join(f"{k}={v}" for k, v in sorted(pairs.items()))
    _touch(customer)
    return render_record(customer)


CONTROLS = (set_price, set_credit, set_contract_price)
