"""The ``ErpPort`` fake: items, customers and contract prices over dicts, sales orders one per
hub order id, credit memos one per RMA, paginated lists (``FakeErp.seeded()`` holds CONTRACT
section 9's seed and passes the ERP contract suite); switches for an outage (``down``), failing or hanging SKUs, a ``gate`` that
holds item lookups until that many are in flight, and a ``page_gate`` that holds list pages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from decimal import Decimal

from shared.errors import BackendError, BackendUnavailable, NotFound
from shared.models import (
    ContractPrices, ContractPricesPage, CreditMemoRef, CreditMemoRequest, Customer, CustomerPage, ErpOrderRef, Item,
    ItemPage, PriceBreak, SalesOrder, SalesOrderRecord,
)


def customer(customer_id: str, limit: str = "1000.00", hold: bool = False) -> Customer:
    return Customer(customer_id=customer_id, name=customer_id, terms="NET30", currency="USD",
                    credit_limit=Decimal(limit), credit_hold=hold)


class FakeErp:
    """``items`` and ``contracts`` (customer -> sku -> price) to start with; every customer with
    contract prices is known (NET30, limit 1000)."""

    def __init__(self, items: Iterable[Item] = (), contracts: dict[str, dict[str, str]] | None = None) -> None:
        self.items: dict[str, Item] = {i.sku: i for i in items}
        self.contracts = {c: {s: Decimal(p) for s, p in prices.items()} for c, prices in (contracts or {}).items()}
        self.customers: dict[str, Customer] = {c: customer(c) for c in self.contracts}
        self.orders: dict[str, SalesOrderRecord] = {}
        """hub order id -> what the ERP booked: one sales order per order, as the ERP keys it."""
        self.memos: dict[str, dict] = {}
        """rma id -> {"id", "amount", "status", ...}: one memo per RMA, as the ERP keys it."""
        self.down = False
        self.failing: set[str] = set()
        self.hanging: set[str] = set()
        self.calls: list[str] = []
        self.lookups: list[str] = []
        self.pages: list[tuple[str, int, int]] = []
        self.in_flight = self.max_in_flight = 0
        self.gate: int | None = None
        self.gate_timeout = 1.0
        self.page_gate: asyncio.Event | None = None
        self._changed = asyncio.Condition()

    @classmethod
    def seeded(cls) -> FakeErp:
        """CONTRACT section 9's item master, customers and contract prices."""
        items = (Item(sku="SKU-1001", name="Cordless Drill 18V", currency="USD", list_price=Decimal("129.00"),
                      breaks=(PriceBreak(min_quantity=10, unit_price=Decimal("119.00")),)),
                 Item(sku="SKU-1002", name="Drill Bit Set 20pc", currency="USD", list_price=Decimal("24.50")),
                 Item(sku="SKU-1003", name="Safety Glasses", currency="USD", list_price=Decimal("8.75"),
                      final_sale=True),
                 Item(sku="SKU-1004", name="Work Light LED", currency="USD", list_price=Decimal("49.00"),
                      orderable=False))
        erp = cls(items, {"CUST-ACME": {"SKU-1001": "99.00"}})
        erp.customers = {"CUST-ACME": Customer(customer_id="CUST-ACME", name="Acme Corp", terms="NET30",
                                               currency="USD", credit_limit=Decimal("5000.00"), credit_hold=False),
                         "CUST-BOLT": customer("CUST-BOLT", "500.00"), "CUST-HOLD": customer("CUST-HOLD", hold=True)}
        return erp

    async def post_sales_order(self, order: SalesOrder) -> ErpOrderRef:
        self.calls.append("post_sales_order")
        self._check()
        if order.order_id not in self.orders:
            unknown = [line.sku for line in order.lines if line.sku not in self.items]
            if unknown:
                raise BackendError("the ERP refused the order", backend="erp", code="erp_rejected")
            self.orders[order.order_id] = SalesOrderRecord(
                order_id=order.order_id, erp_order_number=f"SO-{len(self.orders) + 1}", total=order.total,
                currency=order.currency)
        return ErpOrderRef(erp_order_number=self.orders[order.order_id].erp_order_number)

    async def find_sales_order(self, order_id: str) -> SalesOrderRecord | None:
        self._check()
        return self.orders.get(order_id)

    async def get_item(self, sku: str) -> Item:
        self.lookups.append(sku)
        self._check()
        if sku in self.hanging:
            await asyncio.Event().wait()
        async with self._changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            if self.gate is not None:
                try:
                    await asyncio.wait_for(self._changed.wait_for(lambda: self.in_flight >= self.gate), self.gate_timeout)
                except asyncio.TimeoutError:
                    pass
            self.in_flight -= 1
        if sku in self.failing:
            raise BackendUnavailable("ERP answered 503", backend="erp")
        if sku not in self.items:
            raise NotFound(f"unknown SKU {sku}", code="unknown_sku")
        return self.items[sku]

    async def get_customer(self, customer_id: str) -> Customer:
        self._check()
        if customer_id not in self.customers:
            raise NotFound("unknown customer", code="unknown_customer")
        return self.customers[customer_id]

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        await self.get_customer(customer_id)
        return ContractPrices(customer_id=customer_id, prices=self.contracts.get(customer_id, {}))

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        records, more = await self._page("items", self.items, offset, limit)
        return ItemPage(items=records, next_offset=offset + limit if more else None)

    async def list_customers(self, offset: int = 0, limit: int = 100) -> CustomerPage:
        records, more = await self._page("customers", self.customers, offset, limit)
        return CustomerPage(items=records, next_offset=offset + limit if more else None)

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> ContractPricesPage:
        lists = {c: ContractPrices(customer_id=c, prices=self.contracts.get(c, {})) for c in self.customers}
        records, more = await self._page("contracts", lists, offset, limit)
        return ContractPricesPage(items=records, next_offset=offset + limit if more else None)

    async def create_credit_memo(self, memo: CreditMemoRequest) -> CreditMemoRef:
        self.calls.append("create_credit_memo")
        self._check()
        if memo.rma_id not in self.memos:
            self.memos[memo.rma_id] = {"id": f"CM-{len(self.memos) + 1}", "amount": memo.amount, "status": "open",
                                       "lines": memo.lines, "order": memo.erp_order_number}
        return CreditMemoRef(credit_memo_id=self.memos[memo.rma_id]["id"])

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        self.calls.append("void_credit_memo")
        self._check()
        for memo in self.memos.values():
            if memo["id"] == credit_memo_id:
                memo["status"] = "void"
                return
        raise NotFound(code="unknown_credit_memo")

    async def _page(self, kind: str, records: dict, offset: int, limit: int) -> tuple[tuple, bool]:
        self.pages.append((kind, offset, limit))
        if self.page_gate is not None:
            await self.page_gate.wait()
        self._check()
        ordered = [records[k] for k in sorted(records)]
        return tuple(ordered[offset:offset + limit]), offset + limit < len(ordered)

    def _check(self) -> None:
        if self.down:
            raise BackendUnavailable("ERP down", backend="erp")
