"""The ERP port: what the process APIs may ask of the ERP, in canonical terms."""

from __future__ import annotations

from typing import Protocol

from shared.models import ContractPrices, Customer, Item, ItemPage


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
