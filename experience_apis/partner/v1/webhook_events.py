"""The ``webhooks`` section of the partner OpenAPI 3.1 document: what the hub POSTs to a
subscriber, one entry per event with its versioned payload schema and the Standard Webhooks
headers. Built from the same Structs the notification process encodes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from process_apis.notifications.schemas import (
    InventoryChangedV1, OrderStatusChangedV1, ReturnUpdatedV1, ShipmentCreatedV1)


class OrderStatusChanged(msgspec.Struct):
    type: Literal["order.status_changed"]
    timestamp: datetime
    data: OrderStatusChangedV1


class ShipmentCreated(msgspec.Struct):
    type: Literal["shipment.created"]
    timestamp: datetime
    data: ShipmentCreatedV1


class ReturnUpdated(msgspec.Struct):
    type: Literal["return.updated"]
    timestamp: datetime
    data: ReturnUpdatedV1


class InventoryChanged(msgspec.Struct):
    type: Literal["inventory.changed"]
    timestamp: datetime
    data: InventoryChangedV1


EVENTS = {
    "order.status_changed": (OrderStatusChanged, "An order of your customer changed status (accepted, posted, "
                             "released, shipped, ...), in order per order id."),
    "shipment.created": (ShipmentCreated, "The warehouse shipped (part of) one of your customer's orders."),
    "return.updated": (ReturnUpdated, "A return of your customer was authorized, rejected, reviewed or refunded."),
    "inventory.changed": (InventoryChanged, "Stock changed at one (sku, location); a higher `sequence` is newer."),
}
_HEADERS = [
    ("webhook-id", "The event's id: the same on every retry and replay (deduplicate on it)."),
    ("webhook-timestamp", "Unix seconds when this attempt was signed; refuse ones far from now."),
    ("webhook-signature", "`v1,<base64 HMAC-SHA256 of \"{id}.{timestamp}.{body}\">`, key: the base64 part of "
                          "your `whsec_` secret; during a rotation two, space separated. See docs/webhooks.md."),
]


def webhooks_section() -> tuple[dict, dict]:
    """(``webhooks``, the component schemas they refer to)."""
    types = [struct for struct, _ in EVENTS.values()]
    refs, components = msgspec.json.schema_components(types, ref_template="#/components/schemas/{name}")
    section = {}
    for (name, (struct, summary)), ref in zip(EVENTS.items(), refs):
        section[name] = {"post": {
            "operationId": "on" + struct.__name__, "summary": summary, "tags": ["webhooks"],
            "parameters": [{"name": h, "in": "header", "required": True, "description": d, "schema": {"type": "string"}}
                           for h, d in _HEADERS],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref}}},
            "responses": {"2XX": {"description": "Received. Anything else, or no answer in 10 s, is retried."}},
        }}
    return section, components
