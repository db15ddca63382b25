"""The NCR Counterpoint API's wire shapes the stock adapter reads (``IM_INV`` rows).

Counterpoint writes its table columns in capitals (``ITEM_NO``, ``LOC_ID``,
``QTY_ON_HND``); every answer carries ``ErrorCode`` (``SUCCESS`` when fine) and
errors add ``Message``. Timestamps have no zone and seven fractional digits;
``RS_UTC_DT`` is the row's last change in UTC.
"""

from __future__ import annotations

import msgspec


class Inventory(msgspec.Struct, frozen=True, rename="upper", omit_defaults=True):
    """One ``IM_INV`` row: an item's stock at one location (quantities are JSON numbers,
    fractional for items sold by weight or length)."""

    item_no: str
    loc_id: str
    qty_on_hnd: float
    qty_avail: float
    rs_utc_dt: str
    qty_commit: float = 0
    net_qty: float | None = None
    min_qty: float | None = None
    max_qty: float | None = None


class ItemInventoryAnswer(msgspec.Struct, frozen=True, rename={"im_inv": "IM_INV", "error_code": "ErrorCode"}):
    """``GET /Item/{ItemNo}/Inventory/{LocId}``."""

    im_inv: Inventory
    error_code: str = "SUCCESS"


class LocationInventoryAnswer(msgspec.Struct, frozen=True, rename={"im_inv": "IM_INV", "error_code": "ErrorCode"}):
    """``GET /Inventory/{LocId}[?Page=&Rows=]``."""

    im_inv: list[Inventory]
    error_code: str = "SUCCESS"


class ErrorAnswer(msgspec.Struct, frozen=True, rename="pascal"):
    """Every error: ``{"ErrorCode", "Message"}``."""

    error_code: str = ""
    message: str = ""
