"""What the experience APIs may ask of the order process."""

from __future__ import annotations

from typing import Protocol

from process_apis.orders.schemas import OrderPage, OrderView, Placed, PlaceOrder, Viewer


class OrderPort(Protocol):
    async def place_order(self, command: PlaceOrder, idempotency_key: str) -> Placed:
        """Accept the order once per (consumer, key). Raises BusinessRuleViolation (422 with the
        rule's code, or ``idempotency_key_reused``), Conflict (409 ``idempotency_key_in_flight``,
        ``duplicate_po``), BackendUnavailable; a replayed refusal carries ``Idempotent-Replayed``."""
        ...

    async def get_order(self, order_id: str, viewer: Viewer) -> OrderView:
        """Raises NotFound when there is no such order or it is not the viewer's."""
        ...

    async def list_orders(self, viewer: Viewer, limit: int = 20, cursor: str | None = None) -> OrderPage:
        """The viewer's orders, newest first; ``cursor`` is the previous page's ``next_cursor``."""
        ...
