"""StoreLink POS announcements (``POST /hooks/pos``) -> canonical: pure functions, no I/O.

The event's shape lives here with its parser. Malformed input raises
``msgspec.DecodeError`` (``ValidationError`` for a well-formed body of the
wrong shape or an unknown ``type``); the caller answers 400. ``parse_pos_delivery``: a
body of one event or a batch (``{"events": [...]}``, ``system_apis.deliveries``).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from shared.models import StockChanged
from system_apis.deliveries import parse_delivery


class PosStockEvent(msgspec.Struct, rename="camel", frozen=True, kw_only=True):
    """``{"id", "type": "STOCK_CHANGE", "timestamp", "storeCode", "productSku", "quantity", "seq"}``."""

    type: Literal["STOCK_CHANGE"]
    store_code: str
    product_sku: str
    quantity: int
    seq: int


_DECODER = msgspec.json.Decoder(PosStockEvent)


def parse_pos_event(body: bytes) -> StockChanged:
    """A store sells from the shelf: what the POS counts is both on hand and available."""
    event = _DECODER.decode(body)
    return StockChanged(
        sku=event.product_sku,
        location=event.store_code,
        on_hand=event.quantity,
        available=event.quantity,
        sequence=event.seq,
    )


def parse_pos_delivery(body: bytes) -> list[StockChanged]:
    """The stock changes of one delivery (one event, or a batch of them), in order."""
    return parse_delivery(body, parse_pos_event, "POS")
