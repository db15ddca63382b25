"""The WMS fulfilment port: releasing orders to the warehouse and expecting returns."""

from __future__ import annotations

from typing import Protocol

from shared.models import ExpectedReceipt, FulfilmentRef, FulfilmentRequest


class FulfilmentPort(Protocol):
    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        """Ask the WMS to pick, pack and ship; idempotent on ``request.order_id``.
        The WMS confirms shipments later through its signed events (``/hooks/wms``)."""
        ...

    async def expect_receipt(self, receipt: ExpectedReceipt) -> None:
        """Tell the WMS a return is coming; idempotent on ``receipt.rma_id``."""
        ...

    async def cancel_receipt(self, rma_id: str) -> None:
        """Cancel an expected receipt (the compensation); cancelling twice is a no-op."""
        ...

    async def record_inspection(self, rma_id: str, sku: str, quantity: int, result: str, idempotency_key: str) -> None:
        """An inspection result for received ``inspect`` units of ``sku``: ``restock`` puts them
        back on hand (the WMS announces the stock change), ``scrap`` keeps them out of stock.
        Idempotent on ``idempotency_key``; a result for units not in quarantine is ``BackendError``."""
        ...
