"""The CONTRACT section 9 seed as a NetSuite account holds it, in SuiteQL's rows.

SuiteQL answers every value as a string and booleans as ``'T'``/``'F'``. The
hub's fields live where NetSuite keeps them natively: SKU in ``item.itemid``,
list price and quantity breaks in ``pricing`` (price level 1, Base Price; a
break is a row with its ``quantity``), customer id in ``customer.entityid``,
credit limit ``creditlimit``, hold ``creditholdoverride`` (``ON`` holds),
contract prices in ``customeritempricing``. Final sale is a custom item field,
``custitem_hub_final_sale``. ``WEB-GUEST`` is the customer guest orders are
booked to (NetSuite sales orders and credit memos need one).
"""

from __future__ import annotations

from typing import Any

from system_apis.sandbox import seed

BASE_PRICE_LEVEL = "1"
GUEST_CUSTOMER = "WEB-GUEST"
TERMS = {"NET30": ("2", "Net 30")}
CURRENCIES = {"USD": ("1", "US Dollar")}


def _flag(value: bool) -> str:
    return "T" if value else "F"


def seeded() -> dict[str, list[dict[str, Any]]]:
    """Every SuiteQL table of the account at its seed, rows as NetSuite answers them."""
    items, pricing = [], []
    for number, item in enumerate(seed.ITEMS, start=501):
        item_id = str(number)
        items.append({"id": item_id, "itemid": item.sku, "displayname": item.name, "itemtype": "InvtPart",
                      "isinactive": _flag(item.discontinued), "custitem_hub_final_sale": _flag(item.final_sale)})
        pricing.append({"item": item_id, "pricelevel": BASE_PRICE_LEVEL, "quantity": "0",
                        "unitprice": str(item.list_price)})
        pricing += [{"item": item_id, "pricelevel": BASE_PRICE_LEVEL, "quantity": str(b.min_quantity),
                     "unitprice": str(b.unit_price)} for b in item.breaks]
    item_ids = {row["itemid"]: row["id"] for row in items}
    customers, contract = [], []
    for number, customer in enumerate(seed.CUSTOMERS, start=1201):
        customer_id = str(number)
        customers.append({"id": customer_id, "entityid": customer.customer_id, "companyname": customer.name,
                          "terms": TERMS[customer.terms][0], "currency": CURRENCIES[seed.CURRENCY][0],
                          "creditlimit": str(customer.credit_limit), "isinactive": "F",
                          "creditholdoverride": "ON" if customer.credit_hold else "AUTO"})
        contract += [{"customer": customer_id, "item": item_ids[sku], "level": "-1",
                      "currency": CURRENCIES[seed.CURRENCY][0], "price": str(price)}
                     for sku, price in customer.contract_prices]
    customers.append({"id": "1299", "entityid": GUEST_CUSTOMER, "companyname": "Web guests", "isinactive": "F",
                      "currency": CURRENCIES[seed.CURRENCY][0], "creditholdoverride": "AUTO"})
    return {
        "item": items, "pricing": pricing, "customer": customers, "customeritempricing": contract,
        "term": [{"id": term_id, "name": name} for term_id, name in TERMS.values()],
        "currency": [{"id": cur_id, "name": name, "symbol": symbol} for symbol, (cur_id, name) in CURRENCIES.items()],
    }
