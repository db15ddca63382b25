"""The ERP port: what the process APIs may ask of the ERP, in canonical terms."""

from __future__ import annotations

from typing import Protocol

from shared.models import (
    ContractPrices,
    ContractPricesPage,
    CreditMemoRef,
    CreditMemoRequest,
    Customer,
    CustomerPage,
    ErpOrderRef,
    Item,
    ItemPage,
    SalesOrder,
    SalesOrderRecord,
)


class ErpPort(Protocol):
    async def get_item(self, sku: str) -> Item:
        """The item with its list price and quantity breaks.

        Raises ``NotFound(code="unknown_sku")`` when the ERP has no such item.
        """
        ...

    async def list_items(self, offset: int = 0, limit: int = 100) -> ItemPage:
        """A page of the item master, ordered by SKU."""
        ...

    async def get_customer(self, customer_id: str) -> Customer:
        """Raises ``NotFound(code="unknown_customer")`` when the ERP has no such customer."""
        ...

    async def get_contract_prices(self, customer_id: str) -> ContractPrices:
        """The customer's contract prices (empty when none); ``NotFound`` as above."""
        ...

    async def list_customers(self, offset: int = 0, limit: int = 100) -> CustomerPage:
        """A page of the customer master, ordered by customer id (the replica's full sync)."""
        ...

    async def list_contract_prices(self, offset: int = 0, limit: int = 100) -> ContractPricesPage:
        """A page of every customer's contract prices, ordered by customer id (the full sync)."""
        ...

    async def post_sales_order(self, order: SalesOrder) -> ErpOrderRef:
        """Book the order as a sales order. Idempotent on ``order.order_id`` (sent as the
        external reference and the idempotency key): a retried post answers the first
        sales order's number and never books a second one.

        Raises ``BackendUnavailable`` (retry later) or ``BackendError`` (the ERP refused it)."""
        ...

    async def find_sales_order(self, order_id: str) -> SalesOrderRecord | None:
        """The sales order booked under the external reference ``order_id`` (the hub's order
        id), or None when the ERP has none. Read only; ``BackendUnavailable`` as above."""
        ...

    async def create_credit_memo(self, memo: CreditMemoRequest) -> CreditMemoRef:
        """Book a credit memo for a return; idempotent on ``memo.rma_id``."""
        ...

    async def void_credit_memo(self, credit_memo_id: str) -> None:
        """Void a credit memo (the compensation); voiding a void memo is a no-op."""
        ...
