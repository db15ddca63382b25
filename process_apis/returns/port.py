"""What the experience APIs and the admin API may ask of the return process."""

from __future__ import annotations

from typing import Protocol

from process_apis.orders.schemas import Viewer
from process_apis.returns.schemas import Requested, RequestReturn, ReturnView


class ReturnPort(Protocol):
    async def request_return(self, command: RequestReturn, idempotency_key: str) -> Requested:
        """Authorize (or reject, or hold for review) a return, once per (consumer, key). Raises
        NotFound (``unknown_order``, also for another customer's order), BusinessRuleViolation
        (``not_shipped``, ``quantity_exceeds_returnable``, ``idempotency_key_reused``), Conflict
        (``idempotency_key_in_flight``), BackendUnavailable (the ERP could not be read)."""
        ...

    async def get_return(self, rma_id: str, viewer: Viewer | None = None) -> ReturnView:
        """The RMA with its history; ``viewer`` None is an operator. NotFound when absent or not the viewer's."""
        ...

    async def approve(self, rma_id: str, operator: str) -> ReturnView:
        """An operator approves a return pending review: it is authorized and its refund saga starts.
        Approving an authorized return again answers it; any other state is Conflict ``return_not_pending_review``."""
        ...

    async def reject(self, rma_id: str, operator: str, reason: str | None = None) -> ReturnView:
        """An operator rejects a return pending review: nothing is refunded, its units may be returned again.
        Rejecting a rejected return again answers it; any other state is Conflict ``return_not_pending_review``."""
        ...

    async def inspect(self, rma_id: str, sku: str, result: str, operator: str, quantity: int | None = None) -> ReturnView:
        """An operator's inspection of received ``inspect`` units of ``sku`` (all still waiting, or
        ``quantity``): ``restock`` puts them back in stock at the WMS, ``scrap`` does not. Conflict
        ``nothing_to_inspect`` when none waits; BusinessRuleViolation ``quantity_exceeds_inspectable``."""
        ...
