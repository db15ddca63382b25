"""ShipWorks WMS announcements (``POST /hooks/wms``) -> canonical: pure functions, no I/O.

``event_type`` tells them apart: ``inventory.adjusted`` -> ``StockChanged``,
``shipment.confirmed`` -> ``ShipmentConfirmed`` (``order_id`` is the WMS's
``order_ref``), ``return.received`` -> ``ReturnReceived`` (``rma_id`` is its
``rma_ref``; every line, whatever its disposition: the WMS restocks and
announces the stock itself). Malformed input raises ``msgspec.DecodeError``
(``ValidationError`` for a well-formed body of the wrong shape or an unknown
``event_type``); the caller answers 400. ``parse_wms_delivery``: a body of one event or a
batch (``{"events": [...]}``, ``system_apis.deliveries``).
"""

from __future__ import annotations

import msgspec

from shared.models import ReturnReceived, ShipmentConfirmed, StockChanged
from system_apis.deliveries import parse_delivery
from system_apis.wms import mapping
from system_apis.wms.vendor_schemas import WmsEvent

_DECODER = msgspec.json.Decoder(WmsEvent)


def parse_wms_event(body: bytes) -> StockChanged | ShipmentConfirmed | ReturnReceived:
    """The announcement in ``body`` in canonical terms."""
    return mapping.to_event(_DECODER.decode(body))


def parse_wms_delivery(body: bytes) -> list[StockChanged | ShipmentConfirmed | ReturnReceived]:
    """The announcements of one delivery (one event, or a batch of them), in order."""
    return parse_delivery(body, parse_wms_event, "WMS")
