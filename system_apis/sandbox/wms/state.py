"""ShipWorks WMS state: warehouse (``DC-*``) stock, fulfilment requests and expected receipts.

Satisfies ``runtime.StockBackend`` (the stock control) and
``runtime.TimedBackend`` (autoship timers end on reset and close).
"""

from __future__ import annotations

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer, new_event_id
from system_apis.sandbox.stock import LedgerBackend, StockRow
from system_apis.sandbox.wms.fulfilment import Fulfilments
from system_apis.sandbox.wms.receipts import Receipts
from system_apis.sandbox.wms.schemas import AdjustedPayload, InventoryAdjusted, InventoryRecord

DEFAULT_WAREHOUSE = "DC-EAST"


class WmsBackend(LedgerBackend):
    """The WMS's warehouse stock; announces ``inventory.adjusted``, ``shipment.confirmed``
    and ``return.received``."""

    name = "wms"
    location_prefix = "DC-"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        super().__init__(announcer, config)
        self.fulfilments = Fulfilments(self, (config or SandboxConfig()).autoship_seconds)
        self.receipts = Receipts(self)

    def reset(self) -> None:
        super().reset()
        self.fulfilments.reset()
        self.receipts.reset()

    def cancel_timers(self) -> None:
        self.fulfilments.cancel_timers()

    def take(self, sku: str, quantity: int) -> list[str]:
        """Take up to ``quantity`` from the item's warehouses, fullest first, never below 0;
        each changed row is announced. Answers the locations taken from."""
        rows = sorted(self.ledger.rows([sku]), key=lambda r: (-r.on_hand, r.location))
        taken: list[str] = []
        for row in rows:
            amount = min(row.on_hand, quantity)
            if amount <= 0:
                continue
            self.adjust(sku, row.location, row.on_hand - amount)
            taken.append(row.location)
            quantity -= amount
        return taken

    def restock(self, order_ref: str, sku: str, quantity: int) -> None:
        """Put returned units back on hand where the order shipped from (see ``wms_receipts``)."""
        origins = self.fulfilments.origins(order_ref, sku)
        rows = self.ledger.rows([sku])
        location = origins[0] if origins else rows[0].location if rows else DEFAULT_WAREHOUSE
        on_hand = next((row.on_hand for row in rows if row.location == location), 0)
        self.adjust(sku, location, on_hand + quantity)

    def record(self, row: StockRow) -> InventoryRecord:
        return InventoryRecord(
            item_code=row.sku,
            warehouse_id=row.location,
            on_hand=row.on_hand,
            allocated=row.allocated,
            available=row.available,
            sequence=row.sequence,
            updated_at=row.updated_at,
        )

    def event(self, row: StockRow) -> InventoryAdjusted:
        payload = AdjustedPayload(
            item_code=row.sku,
            warehouse_id=row.location,
            on_hand=row.on_hand,
            available=row.available,
            sequence=row.sequence,
        )
        return InventoryAdjusted(event_id=new_event_id(self.name), occurred_at=row.updated_at, payload=payload)
