"""The bodies of the ERP sandboxes' shared controls, decoded once for every vendor.

Each ERP sandbox (CloudERP, QuickBooks, NetSuite, the legacy ERP) serves the same control
paths below ``/sandbox/<backend>``, so a walkthrough that changes the back office reads the
same whatever the ERP connection's kind; each answers the changed record in its vendor's shape:

    PUT /items/{sku}/price                     {"list_price": "135.00"}
    PUT /customers/{id}/credit                 {"credit_hold"?: true, "credit_limit"?: "750.00"}
    PUT /customers/{id}/item-prices/{sku}      {"unit_price": "95.00" | null}
"""

from __future__ import annotations

from decimal import Decimal

from system_apis.sandbox.control_errors import ControlInputError, FieldError, decode_control
from system_apis.sandbox.erp.schemas import ContractPriceChange, CreditChange, PriceChange


def list_price(body: bytes) -> Decimal:
    """The new list price of ``PUT /items/{sku}/price``; 422 unless above zero."""
    price = Decimal(decode_control(body, PriceChange).list_price)
    if price <= 0:
        raise ControlInputError([FieldError("list_price", "must be greater than 0")])
    return price


def credit(body: bytes) -> tuple[bool | None, Decimal | None]:
    """The credit hold and limit of ``PUT /customers/{id}/credit``; ``None`` leaves one as it is."""
    change = decode_control(body, CreditChange)
    return change.credit_hold, None if change.credit_limit is None else Decimal(change.credit_limit)


def contract_price(body: bytes) -> Decimal | None:
    """The contract price of ``PUT /customers/{id}/item-prices/{sku}``; ``None`` removes it."""
    change = decode_control(body, ContractPriceChange)
    return None if change.unit_price is None else Decimal(change.unit_price)
