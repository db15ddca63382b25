"""The CloudERP sandbox state: items, customers, contract prices and transactions.

State is kept directly in the vendor's shapes (the sandbox *is* the vendor);
mutations replace frozen Structs and never await.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from system_apis.sandbox import seed
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.erp.errors import RecordNotFound, found
from system_apis.sandbox.erp.orders import ErpTransactions
from system_apis.sandbox.erp.schemas import (
    CustomerItemPrices,
    CustomerItemPricesPage,
    CustomerRecord,
    ErpCustomer,
    ErpCustomerEvent,
    ErpCustomerPage,
    ErpEvent,
    ErpItem,
    ErpItemPage,
    ItemPrice,
    PriceRecord,
    QuantityPrice,
)
from system_apis.sandbox.events import Announcer, new_event_id
from system_apis.sandbox.formats import money, rfc3339_now

__all__ = ["ErpBackend", "RecordNotFound"]


def _item(s: seed.SeedItem, modified: str) -> ErpItem:
    return ErpItem(
        item_id=s.sku,
        display_name=s.name,
        base_price=money(s.list_price),
        currency_code=seed.CURRENCY,
        item_status="DISCONTINUED" if s.discontinued else "ACTIVE",
        final_sale=s.final_sale,
        quantity_pricing=tuple(QuantityPrice(min_quantity=b.min_quantity, unit_price=money(b.unit_price)) for b in s.breaks),
        last_modified=modified,
    )


def _customer(s: seed.SeedCustomer) -> ErpCustomer:
    return ErpCustomer(
        customer_id=s.customer_id,
        company_name=s.name,
        terms=s.terms,
        credit_limit=money(s.credit_limit),
        credit_hold=s.credit_hold,
        currency_code=seed.CURRENCY,
    )


def _contract(s: seed.SeedCustomer) -> CustomerItemPrices:
    prices = tuple(ItemPrice(item_id=sku, unit_price=money(price)) for sku, price in s.contract_prices)
    return CustomerItemPrices(customer_id=s.customer_id, item_prices=prices)


class ErpBackend:
    """The ERP's records, seeded from ``seed``; announces price changes.

    ``transactions`` holds the sales orders and credit memos (none after a reset).
    """

    name = "erp"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self._items: dict[str, ErpItem] = {}
        self._customers: dict[str, ErpCustomer] = {}
        self._contracts: dict[str, CustomerItemPrices] = {}
        self.transactions = ErpTransactions(self)
        self.reset()

    def reset(self) -> None:
        self.transactions.reset()
        now = rfc3339_now()
        self._items = {s.sku: _item(s, now) for s in seed.ITEMS}
        self._customers = {s.customer_id: _customer(s) for s in seed.CUSTOMERS}
        self._contracts = {s.customer_id: _contract(s) for s in seed.CUSTOMERS}

    def item(self, item_id: str) -> ErpItem:
        return found(self._items.get(item_id), "item", item_id)

    def item_page(self, offset: int, limit: int) -> ErpItemPage:
        """A page of items sorted by ``itemId``."""
        return ErpItemPage(**_page(self._items, offset, limit))

    def customer_page(self, offset: int, limit: int) -> ErpCustomerPage:
        """A page of customers sorted by ``customerId``."""
        return ErpCustomerPage(**_page(self._customers, offset, limit))

    def item_prices_page(self, offset: int, limit: int) -> CustomerItemPricesPage:
        """A page of every customer's price list (possibly empty), sorted by ``customerId``."""
        return CustomerItemPricesPage(**_page(self._contracts, offset, limit))

    def item_ids(self) -> frozenset[str]:
        return frozenset(self._items)

    def customer(self, customer_id: str) -> ErpCustomer:
        return found(self._customers.get(customer_id), "customer", customer_id)

    def item_prices(self, customer_id: str) -> CustomerItemPrices:
        return found(self._contracts.get(customer_id), "customer", customer_id)

    def change_credit(self, customer_id: str, hold: bool | None, limit: Decimal | None) -> ErpCustomer | None:
        """Set the credit hold and/or limit and announce ``customer.updated``; ``None`` if unknown."""
        old = self._customers.get(customer_id)
        if old is None:
            return None
        customer = msgspec.structs.replace(
            old,
            credit_hold=old.credit_hold if hold is None else hold,
            credit_limit=old.credit_limit if limit is None else money(limit),
        )
        self._customers[customer_id] = customer
        self._announce_customer("customer.updated", customer_id)
        return customer

    def change_contract_price(self, customer_id: str, item_id: str, price: Decimal | None) -> CustomerItemPrices | None:
        """Set (or, with ``None``, remove) one contract price; announces ``customer.itemPrices.updated``."""
        old = self._contracts.get(customer_id)
        if old is None:
            return None
        kept = tuple(p for p in old.item_prices if p.item_id != item_id)
        added = () if price is None else (ItemPrice(item_id=item_id, unit_price=money(price)),)
        prices = msgspec.structs.replace(old, item_prices=tuple(sorted(kept + added, key=lambda p: p.item_id)))
        self._contracts[customer_id] = prices
        self._announce_customer("customer.itemPrices.updated", customer_id)
        return prices

    def _announce_customer(self, event_type: str, customer_id: str) -> None:
        self.announcer.announce(ErpCustomerEvent(
            event_id=new_event_id(self.name), event_type=event_type, occurred_at=rfc3339_now(),
            record=CustomerRecord(customer_id=customer_id),
        ))

    def change_price(self, item_id: str, list_price: Decimal) -> ErpItem | None:
        """Set the base price, bump ``lastModified`` and announce; ``None`` for an unknown item."""
        old = self._items.get(item_id)
        if old is None:
            return None
        item = msgspec.structs.replace(old, base_price=money(list_price), last_modified=rfc3339_now())
        self._items[item_id] = item
        record = PriceRecord(item_id=item.item_id, base_price=item.base_price, currency_code=item.currency_code)
        self.announcer.announce(
            ErpEvent(
                event_id=new_event_id(self.name),
                event_type="item.price.changed",
                occurred_at=item.last_modified,
                record=record,
            )
        )
        return item


def _page(records: dict, offset: int, limit: int) -> dict:
    """One page of ``records`` sorted by key, in CloudERP's paging fields."""
    ordered = [records[k] for k in sorted(records)]
    page = ordered[offset : offset + limit]
    return {"items": page, "offset": offset, "limit": limit, "total_results": len(ordered),
            "has_more": offset + len(page) < len(ordered)}
