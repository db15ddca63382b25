"""The legacy ERP's nightly flat-file exports (CSV, UTF-8, a header row) read into canonical models.

    items.csv            ITEM_NO,DESCRIPTION,LIST_PRICE,CURRENCY,STATUS,FINAL_SALE   STATUS A|D, FINAL_SALE Y|N
    quantity_breaks.csv  ITEM_NO,MIN_QTY,UNIT_PRICE
    customers.csv        CUSTOMER_NO,NAME,TERMS,CREDIT_LIMIT,CURRENCY,ON_HOLD        ON_HOLD Y|N
    contract_prices.csv  CUSTOMER_NO,ITEM_NO,UNIT_PRICE

Pure functions: a file that does not read is a permanent ``BackendError``.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from shared import models as hub
from shared.errors import BackendError

BACKEND = "legacy_erp"
ITEMS, BREAKS, CUSTOMERS, CONTRACTS = "items.csv", "quantity_breaks.csv", "customers.csv", "contract_prices.csv"
COLUMNS = {
    ITEMS: ("ITEM_NO", "DESCRIPTION", "LIST_PRICE", "CURRENCY", "STATUS", "FINAL_SALE"),
    BREAKS: ("ITEM_NO", "MIN_QTY", "UNIT_PRICE"),
    CUSTOMERS: ("CUSTOMER_NO", "NAME", "TERMS", "CREDIT_LIMIT", "CURRENCY", "ON_HOLD"),
    CONTRACTS: ("CUSTOMER_NO", "ITEM_NO", "UNIT_PRICE"),
}


def _bad(name: str) -> BackendError:
    return BackendError(f"unexpected LEGACY_ERP export {name}", backend=BACKEND)


def rows(name: str, content: bytes) -> list[dict[str, str]]:
    """The rows of export ``name``; its header must name every column the hub reads."""
    try:
        reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline=""))
        found = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise _bad(name) from exc
    if not set(COLUMNS[name]) <= set(reader.fieldnames or ()):
        raise _bad(name)
    return found


def _decimal(name: str, value: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise _bad(name) from exc


def _yes(value: str) -> bool:
    return value.upper() in ("Y", "YES", "1", "TRUE")


def to_items(item_rows: list[dict[str, str]], break_rows: list[dict[str, str]]) -> list[hub.Item]:
    """Every item, sorted by SKU, with its breaks."""
    breaks: dict[str, list[hub.PriceBreak]] = defaultdict(list)
    for row in break_rows:
        try:
            minimum = int(row["MIN_QTY"])
        except ValueError as exc:
            raise _bad(BREAKS) from exc
        breaks[row["ITEM_NO"]].append(hub.PriceBreak(min_quantity=minimum, unit_price=_decimal(BREAKS, row["UNIT_PRICE"])))
    return sorted((
        hub.Item(sku=row["ITEM_NO"], name=row["DESCRIPTION"], currency=row["CURRENCY"],
                 list_price=_decimal(ITEMS, row["LIST_PRICE"]), orderable=row["STATUS"].upper() == "A",
                 final_sale=_yes(row["FINAL_SALE"]),
                 breaks=tuple(sorted(breaks[row["ITEM_NO"]], key=lambda b: b.min_quantity)))
        for row in item_rows
    ), key=lambda item: item.sku)


def to_customers(customer_rows: list[dict[str, str]]) -> list[hub.Customer]:
    return sorted((
        hub.Customer(customer_id=row["CUSTOMER_NO"], name=row["NAME"], terms=row["TERMS"], currency=row["CURRENCY"],
                     credit_limit=_decimal(CUSTOMERS, row["CREDIT_LIMIT"]), credit_hold=_yes(row["ON_HOLD"]))
        for row in customer_rows
    ), key=lambda customer: customer.customer_id)


def to_contract_prices(customer_ids: list[str], contract_rows: list[dict[str, str]]) -> list[hub.ContractPrices]:
    """One entry per customer of ``customer_ids`` (possibly without prices), in that order."""
    prices: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in contract_rows:
        prices[row["CUSTOMER_NO"]][row["ITEM_NO"]] = _decimal(CONTRACTS, row["UNIT_PRICE"])
    return [hub.ContractPrices(customer_id=c, prices=dict(prices.get(c, {}))) for c in customer_ids]


def page(records: list, offset: int, limit: int) -> tuple[list, int | None]:
    """A slice of an export and the offset of the next (``None`` on the last)."""
    chunk = records[offset : offset + limit]
    return chunk, (offset + len(chunk) if offset + len(chunk) < len(records) and chunk else None)
