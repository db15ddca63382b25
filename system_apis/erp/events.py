"""CloudERP announcements (``POST /hooks/erp``) -> canonical: pure functions, no I/O.

Malformed input raises ``msgspec.DecodeError`` (``ValidationError`` for a
well-formed body of the wrong shape or an unknown ``eventType``); the caller
answers 400.
"""

from __future__ import annotations

import msgspec

from system_apis.erp.vendor_schemas import ErpPriceChanged


def parse_erp_event(body: bytes) -> str:
    """The SKU whose price changed."""
    return msgspec.json.decode(body, type=ErpPriceChanged).record.item_id
