"""CloudERP announcements (``POST /hooks/erp``) -> canonical: pure functions, no I/O.

Malformed input raises ``msgspec.DecodeError`` (``ValidationError`` for a
well-formed body of the wrong shape or an unknown ``eventType``); the caller
answers 400.
"""

from __future__ import annotations

import msgspec

from shared.models import ErpRecordChanged
from system_apis.erp.vendor_schemas import ErpCustomerChanged, ErpEventHead, ErpPriceChanged

_CUSTOMER_KINDS = {"customer.updated": "customer", "customer.itemPrices.updated": "contract"}


def parse_erp_event(body: bytes) -> ErpRecordChanged:
    """Which record changed: an item (its price), a customer, or a customer's contract prices."""
    if msgspec.json.decode(body, type=ErpEventHead).event_type in _CUSTOMER_KINDS:
        event = msgspec.json.decode(body, type=ErpCustomerChanged)
        return ErpRecordChanged(kind=_CUSTOMER_KINDS[event.event_type], key=event.record.customer_id)
    return ErpRecordChanged(kind="item", key=msgspec.json.decode(body, type=ErpPriceChanged).record.item_id)
