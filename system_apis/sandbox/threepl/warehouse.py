"""The sandbox 3PL (ShipBob-shaped): one fulfillment center, its orders, shipments,
inventory levels and return orders.

Not part of CONTRACT section 9: the 3PL's own stock sits at fulfillment
center 228 ("Moreno Valley (CA)"), SKU-1001 25 and SKU-1003 120 units. An
order commits stock (fulfillable drops); shipping it (the ``ship`` control)
takes it off hand and adds a shipment with tracking. A second order or return
with a ``reference_id`` already held is refused with 422. Mutations never await.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.events import Announcer

FACILITY_ID, FACILITY_NAME = 228, "Moreno Valley (CA)"
SEED = {"SKU-1001": 25, "SKU-1003": 120}


class ThreePlError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status, self.body = status, body
        super().__init__(f"{status} {body}")


def duplicate(reference_id: str) -> ThreePlError:
    return ThreePlError(422, {"reference_id": [f"A record with reference id {reference_id} already exists."]})


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


class ThreePlWarehouse:
    name = "threepl"

    def __init__(self, announcer: Announcer, config: SandboxConfig | None = None) -> None:
        self.announcer = announcer
        self.reset()

    def reset(self) -> None:
        self.on_hand = dict(SEED)
        self.committed: dict[str, int] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.shipments: dict[int, list[dict[str, Any]]] = {}
        self.returns: dict[int, dict[str, Any]] = {}
        self._ids = itertools.count(5001)

    # --- orders and shipments ----------------------------------------------------------

    def create_order(self, body: dict[str, Any]) -> dict[str, Any]:
        reference = str(body.get("reference_id") or "")
        products = body.get("products")
        if not reference or not isinstance(products, list) or not products or not body.get("recipient"):
            raise ThreePlError(400, {"statusCode": 400, "message": "reference_id, recipient and products are required."})
        if any(o["reference_id"] == reference for o in self.orders.values()):
            raise duplicate(reference)
        lines = []
        for line in products:
            sku, quantity = str(line.get("reference_id") or ""), line.get("quantity")
            if sku not in self.on_hand or not isinstance(quantity, int) or quantity <= 0:
                raise ThreePlError(400, {"products": [f"Unknown product or bad quantity: {sku}"]})
            lines.append({"reference_id": sku, "quantity": quantity})
        for line in lines:
            self.committed[line["reference_id"]] = self.committed.get(line["reference_id"], 0) + line["quantity"]
        order = {"id": next(self._ids), "reference_id": reference, "order_number": body.get("order_number"),
                 "status": "Processing", "created_date": _now(), "recipient": body["recipient"], "products": lines}
        self.orders[order["id"]] = order
        self.shipments[order["id"]] = []
        return order

    def ship(self, reference_id: str) -> list[dict[str, Any]]:
        """Control: ship an open order whole; shipping again answers the same shipments."""
        order = next((o for o in self.orders.values() if o["reference_id"] == reference_id), None)
        if order is None:
            raise ThreePlError(404, {"statusCode": 404, "message": f"No order {reference_id}."})
        if order["status"] != "Completed":
            for line in order["products"]:
                self.committed[line["reference_id"]] -= line["quantity"]
                self.on_hand[line["reference_id"]] -= line["quantity"]
            shipment_id = next(self._ids)
            self.shipments[order["id"]].append({
                "id": shipment_id, "order_id": order["id"], "reference_id": reference_id, "status": "Completed",
                "location": {"id": FACILITY_ID, "name": FACILITY_NAME},
                "tracking": {"carrier": "USPS", "tracking_number": f"9400{shipment_id:018d}", "shipping_date": _now(),
                             "tracking_url": None},
                "products": [{"reference_id": p["reference_id"], "inventory_items": [{"quantity": p["quantity"]}]}
                             for p in order["products"]]})
            order["status"] = "Completed"
        return self.shipments[order["id"]]

    # --- inventory -----------------------------------------------------------------------

    def levels(self, skus: list[str]) -> list[dict[str, Any]]:
        return [{"inventory_id": 9000 + n, "sku": sku, "name": sku, "locations": [{
            "location_id": FACILITY_ID, "location_name": FACILITY_NAME, "on_hand_quantity": self.on_hand[sku],
            "committed_quantity": self.committed.get(sku, 0), "awaiting_quantity": 0,
            "fulfillable_quantity": self.on_hand[sku] - self.committed.get(sku, 0)}]}
            for n, sku in enumerate(sorted(self.on_hand)) if not skus or sku in skus]

    def set_count(self, sku: str, on_hand: int) -> dict[str, Any]:
        self.on_hand[sku] = on_hand
        return self.levels([sku])[0]

    # --- returns -------------------------------------------------------------------------

    def create_return(self, body: dict[str, Any]) -> dict[str, Any]:
        reference = str(body.get("reference_id") or "")
        if not reference or not isinstance(body.get("inventory"), list) or not body["inventory"]:
            raise ThreePlError(400, {"statusCode": 400, "message": "reference_id and inventory are required."})
        if any(r["reference_id"] == reference for r in self.returns.values()):
            raise duplicate(reference)
        found = {"id": next(self._ids), "reference_id": reference, "status": "AwaitingArrival",
                 "original_order_reference_id": body.get("original_order_reference_id"),
                 "fulfillment_center": {"id": FACILITY_ID, "name": FACILITY_NAME}, "inventory": body["inventory"]}
        self.returns[found["id"]] = found
        return found

    def receive_return(self, reference_id: str, received: dict[str, int] | None = None) -> dict[str, Any]:
        """Control: the return arrived and was processed by its items' ``requested_action``
        (``received``: units by SKU, a SKU not named none; default all); ``Restock`` units go back on hand. Again: the same."""
        found = next((r for r in self.returns.values() if r["reference_id"] == reference_id), None)
        if found is None:
            raise ThreePlError(404, {"statusCode": 404, "message": f"No return {reference_id}."})
        if found["status"] == "Cancelled":
            raise ThreePlError(400, {"statusCode": 400, "message": "The return was cancelled."})
        if found["status"] != "Completed":
            for item in found["inventory"]:
                expected = int(item.get("quantity") or 0)
                units = expected if received is None else min(expected, received.get(item["sku"], 0))
                action = item.get("requested_action") or "Quarantine"
                item["action_taken"] = [{"action": action, "quantity_processed": units}] if units else []
                if action == "Restock" and item["sku"] in self.on_hand:
                    self.on_hand[item["sku"]] += units
            found.update(status="Completed", completed_date=_now())
        return found

    def cancel_return(self, return_id: int) -> dict[str, Any]:
        found = self.returns.get(return_id)
        if found is None:
            raise ThreePlError(404, {"statusCode": 404, "message": f"No return {return_id}."})
        if found["status"] not in ("AwaitingArrival", "Cancelled"):
            raise ThreePlError(400, {"statusCode": 400, "message": "Only a return awaiting arrival can be cancelled."})
        found["status"] = "Cancelled"
        return found
