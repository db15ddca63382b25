"""Admin API: returns (CONTRACT section 7). Scope `admin`.

An operator reads any return, approves or rejects one waiting in
`pending_review` (approving starts its refund saga), and records inspection
results for received `inspect` units (`restock` sends them back to stock at the
WMS, asynchronously: 202). Approving an approved return, or rejecting a
rejected one, answers it again; any other state is 409
`return_not_pending_review`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, post

from experience_apis.http import INJECTED, CurrentPrincipal
from experience_apis.operations.guards import ADMIN
from process_apis.returns.port import ReturnPort
from process_apis.returns.schemas import ReturnView
from shared.problems import strict_body

Returns = Annotated[ReturnPort, INJECTED]


class RejectIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=300)] | None = None
    """Why, for the return's history."""


class InspectionIn(msgspec.Struct, forbid_unknown_fields=True):
    sku: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    result: Literal["restock", "scrap"]
    quantity: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    """How many of the received units waiting for inspection; all of them when absent."""


class ReturnsController(Controller):
    path = "/admin/v1/returns"
    tags = ["returns"]
    guards = [ADMIN]

    @get("/{rma_id:str}", operation_id="getReturn")
    async def get_return(self, rma_id: str, returns: Returns) -> ReturnView:
        """Any customer's return, with its saga step and history."""
        return await returns.get_return(rma_id, None)

    @post("/{rma_id:str}/approve", operation_id="approveReturn", status_code=200)
    async def approve(self, rma_id: str, principal: CurrentPrincipal, returns: Returns) -> ReturnView:
        """Authorize a return waiting for review; its refund saga starts."""
        return await returns.approve(rma_id, principal.consumer)

    @post("/{rma_id:str}/reject", operation_id="rejectReturn", status_code=200, before_request=strict_body(RejectIn))
    async def reject(self, rma_id: str, principal: CurrentPrincipal, returns: Returns,
                     data: RejectIn | None = None) -> ReturnView:
        """Refuse a return waiting for review: nothing is refunded; its units may be returned again."""
        return await returns.reject(rma_id, principal.consumer, data.reason if data else None)

    @post("/{rma_id:str}/inspection", operation_id="inspectReturn", status_code=202,
          before_request=strict_body(InspectionIn))
    async def inspect(self, rma_id: str, data: InspectionIn, principal: CurrentPrincipal,
                      returns: Returns) -> ReturnView:
        """Record an inspection result; the WMS is told (and restocks) asynchronously."""
        return await returns.inspect(rma_id, data.sku, data.result, principal.consumer, data.quantity)
