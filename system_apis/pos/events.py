"""StoreLink POS announcements (``POST /hooks/pos``) -> canonical: pure functions, no I/O.

The event's shape lives here with its parser. Malformed input raises
``msgspec.DecodeError`` (``ValidationError`` for a well-formed body of the
wrong shape or an unknown ``type``); the caller answers 400.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.models import StockChanged


class PosStockEvent(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """``{"id", "type": "STOCK_CHANGE", "timestamp", "storeCode", "productSku", "quantity", "seq"}``."""

    type: Literal["STOCK_CHANGE"]
    store_code: str
    product_sku: str
    quantity: int
    seq: int


def parse_pos_event(body: bytes) -> StockChanged:
    """A store sells from the shelf: what the POS counts is both on hand and available."""
    event = msgspec.json.decode(body, type=PosStockEvent)
    return StockChanged(
        sku=event.product_sku,
        location=event.store_code,
        on_hand=event.quantity,
        available=event.quantity,
        sequence=event.seq,
    )
