"""StoreLink POS: store (``STORE-*``) stock, vendor API at ``/sandbox/pos/v1``."""

from __future__ import annotations

import msgspec
from litestar import get
from litestar.params import Parameter

from system_apis.sandbox.backend import BackendSpec
from system_apis.sandbox.events import new_event_id
from system_apis.sandbox.stock import LedgerBackend, StockRow


class PosModel(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    """Base of every StoreLink payload."""


class StoreStockLevel(PosModel):
    store_code: str
    product_sku: str
    quantity: int
    seq: int
    last_changed: str


class StockLevels(PosModel):
    stock_levels: list[StoreStockLevel]


class PosMessage(PosModel):
    message: str


class PosStockEvent(PosModel):
    """``{"id", "type": "STOCK_CHANGE", "timestamp", "storeCode", "productSku", "quantity", "seq"}``."""

    id: str
    type: str
    timestamp: str
    store_code: str
    product_sku: str
    quantity: int
    seq: int


class PosBackend(LedgerBackend):
    """The POS's store stock; announces ``STOCK_CHANGE``. ``quantity`` is what is available."""

    name = "pos"
    location_prefix = "STORE-"

    def record(self, row: StockRow) -> StoreStockLevel:
        return StoreStockLevel(
            store_code=row.location,
            product_sku=row.sku,
            quantity=row.available,
            seq=row.sequence,
            last_changed=row.updated_at,
        )

    def event(self, row: StockRow) -> PosStockEvent:
        return PosStockEvent(
            id=new_event_id(self.name),
            type="STOCK_CHANGE",
            timestamp=row.updated_at,
            store_code=row.location,
            product_sku=row.sku,
            quantity=row.available,
            seq=row.sequence,
        )


@get("/stores/inventory")
async def get_store_inventory(
    pos: PosBackend, product_sku: list[str] | None = Parameter(query="productSku", default=None)
) -> StockLevels:
    """Stock of the given products per store; an unknown product has no rows."""
    return StockLevels(stock_levels=[pos.record(row) for row in pos.ledger.rows(product_sku)])


@get("/health")
async def health() -> dict[str, str]:
    """The connectivity check the hub's probe reads (faulted like every vendor call)."""
    return {"status": "ok"}

POS = BackendSpec(
    name="pos",
    api_path="/v1",
    api_handlers=(get_store_inventory, health),
    build=PosBackend,
    throttle_body=PosMessage(message="Too Many Requests"),
)
