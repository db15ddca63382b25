"""The CONTRACT section 9 seed as a QuickBooks Online company holds it.

Records are kept as QBO's own JSON objects (dicts, money as ``Decimal``), so
the query engine can read any field by its wire name. How the hub's fields
map onto QBO's is the adapter's convention (``system_apis.quickbooks.mapping``):
SKU in ``Sku``, breaks and final sale in ``Description``, customer id in
``DisplayName``, credit and contract prices in customer custom fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from system_apis.sandbox import seed

NET_30 = {"value": "3", "name": "Net 30"}
TERMS = {"NET30": NET_30}
USD = {"value": "USD", "name": "United States Dollar"}
INCOME = {"value": "79", "name": "Sales of Product Income"}


def now() -> str:
    """QBO's timestamps carry the company's offset; the sandbox company keeps UTC."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def meta() -> dict[str, str]:
    stamp = now()
    return {"CreateTime": stamp, "LastUpdatedTime": stamp}


def base(entity_id: int) -> dict[str, Any]:
    return {"Id": str(entity_id), "SyncToken": "0", "domain": "QBO", "sparse": False, "MetaData": meta()}


def item(entity_id: int, s: seed.SeedItem) -> dict[str, Any]:
    notes = [f"Volume price: {b.min_quantity}+ @ {b.unit_price:.2f}" for b in s.breaks]
    if s.final_sale:
        notes.append("Final sale")
    return {
        **base(entity_id), "Name": s.name, "FullyQualifiedName": s.name, "Sku": s.sku,
        "Description": "\n".join([s.name, *notes]), "Active": not s.discontinued, "Type": "NonInventory",
        "UnitPrice": s.list_price, "Taxable": False, "IncomeAccountRef": INCOME,
    }


def custom_field(definition_id: str, name: str, value: str) -> dict[str, str]:
    return {"DefinitionId": definition_id, "Name": name, "Type": "StringType", "StringValue": value}


def customer(entity_id: int, s: seed.SeedCustomer) -> dict[str, Any]:
    contract = "; ".join(f"{sku}={price:.2f}" for sku, price in s.contract_prices)
    return {
        **base(entity_id), "DisplayName": s.customer_id, "CompanyName": s.name, "FullyQualifiedName": s.customer_id,
        "PrintOnCheckName": s.name, "Active": True, "Job": False, "Balance": Decimal("0.00"),
        "SalesTermRef": TERMS.get(s.terms, {"value": "1", "name": s.terms}), "CurrencyRef": USD,
        "CustomField": [custom_field("1", "Credit Limit", f"{s.credit_limit:.2f}"),
                        custom_field("2", "Credit Hold", "Yes" if s.credit_hold else "No"),
                        custom_field("3", "Contract Prices", contract)],
    }


def seeded() -> dict[str, dict[str, dict[str, Any]]]:
    """Every entity of the seeded company by name, then by Id."""
    items = [item(n, s) for n, s in enumerate(seed.ITEMS, start=1)]
    customers = [customer(n, s) for n, s in enumerate(seed.CUSTOMERS, start=1)]
    return {
        "Item": {r["Id"]: r for r in items},
        "Customer": {r["Id"]: r for r in customers},
        "Invoice": {}, "SalesReceipt": {}, "CreditMemo": {}, "RefundReceipt": {},
    }
