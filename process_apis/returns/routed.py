"""Returns go back to the fulfilment connection that shipped the line (issue 13).

``ShippedBy`` stands where the refund saga and the receiving worker take the WMS
(a ``FulfilmentPort``): an expected receipt is split by the connection each
returned SKU's part of the order was released to (``order_releases``), each
connection asked for its own lines under the same RMA id (idempotent there on
it); a cancel goes to every connection the order was released to (a receipt a
connection never got is a no-op there); an inspection result goes to the
connection of its SKU. A SKU of an order released whole (no parts) goes to the
default connection, as every return did before.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import release_parts
from shared.db.engine import reading
from shared.db.tables import returns
from shared.errors import NotFound
from shared.models import ExpectedReceipt, FulfilmentRef, FulfilmentRequest, ReceiptLine
from system_apis.wms.fulfilment_port import FulfilmentPort
from system_apis.wms.fulfilment_routes import FulfilmentRoutes


class ShippedBy:
    def __init__(self, engine: AsyncEngine, routes: FulfilmentRoutes) -> None:
        self._engine = engine
        self._routes = routes

    async def release(self, request: FulfilmentRequest) -> FulfilmentRef:
        return await self._routes.ports[self._routes.default].release(request)

    async def expect_receipt(self, receipt: ExpectedReceipt) -> None:
        owners = await self._owners(receipt.order_id)
        split: dict[str, list[ReceiptLine]] = {}
        for line in receipt.lines:
            split.setdefault(owners.get(line.sku, self._routes.default), []).append(line)
        for name in sorted(split, key=self._rank):
            await self._port(name).expect_receipt(ExpectedReceipt(
                rma_id=receipt.rma_id, order_id=receipt.order_id, lines=tuple(split[name])))

    async def cancel_receipt(self, rma_id: str) -> None:
        owners = await self._owners(await self._order_of(rma_id))
        for name in sorted(set(owners.values()) or {self._routes.default}, key=self._rank):
            await self._port(name).cancel_receipt(rma_id)

    async def record_inspection(self, rma_id: str, sku: str, quantity: int, result: str, idempotency_key: str) -> None:
        owners = await self._owners(await self._order_of(rma_id))
        await self._port(owners.get(sku, self._routes.default)).record_inspection(
            rma_id, sku, quantity, result, idempotency_key=idempotency_key)

    async def _owners(self, order_id: str) -> dict[str, str]:
        """SKU -> the connection its part of the order was released to."""
        async with reading(self._engine) as conn:
            found = (await release_parts.parts_of(conn, [order_id])).get(order_id, [])
        return {sku: part.connection for part in found for sku in part.skus}

    async def _order_of(self, rma_id: str) -> str:
        async with reading(self._engine) as conn:
            order_id = (await conn.execute(select(returns.c.order_id).where(returns.c.rma_id == rma_id))).scalar()
        if order_id is None:
            raise NotFound(f"No return {rma_id}.", code="unknown_return")
        return order_id

    def _port(self, name: str) -> FulfilmentPort:
        return self._routes.ports.get(name) or self._routes.ports[self._routes.default]

    def _rank(self, name: str) -> int:
        return self._routes.rank(name) if name in self._routes.ports else -1
