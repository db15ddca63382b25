"""What happens when the goods come back: the WMS's receipt and the inspection results.

    return.received    (signed /hooks/wms event) -> the RMA's lines record what arrived
    return.inspection  (an operator's result)    -> the WMS is told: restock or scrap

Stock is the WMS's: on receipt it puts ``restock`` lines back on hand and
announces ``inventory.adjusted`` (the inventory sync applies it), and keeps
``inspect`` lines in quarantine until an inspection result says ``restock``.
The hub records on the RMA what arrived and what was inspected; both are
changes of the RMA's lines, made conditional on its version so two of them
never overwrite each other.
"""

from __future__ import annotations

from typing import Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.returns import events
from process_apis.returns import repository as repo
from process_apis.returns.schemas import ReturnLine
from shared.errors import BackendUnavailable, NotFound
from shared.messaging.outbox import Message
from shared.models import FulfilmentLine, ReturnReceived
from system_apis.wms.fulfilment_port import FulfilmentPort

RECEIVED_TOPIC = "return.received"
INSPECTION_TOPIC = "return.inspection"
_TRIES = 5


class InspectionJob(msgspec.Struct, frozen=True, kw_only=True):
    """Tell the WMS an inspection result; ``key`` (RMA, SKU, count before) keeps it to once."""

    rma_id: str
    sku: str
    quantity: int
    result: str
    key: str


def with_receipt(lines: tuple[ReturnLine, ...], received: tuple[FulfilmentLine, ...]) -> tuple[ReturnLine, ...]:
    """The approved lines with what the receipt says arrived, SKU by SKU in line order
    (set, not added: the same receipt reported twice changes nothing). A SKU the receipt
    does not name is left as it was: a return split between two fulfilment connections
    gets one receipt from each, each naming its own SKUs."""
    left: dict[str, int] = {}
    for line in received:
        left[line.sku] = left.get(line.sku, 0) + line.quantity
    out = []
    for line in lines:
        if line.decision != "approved" or line.sku not in left:
            out.append(line)
            continue
        got = min(line.quantity, left.get(line.sku, 0))
        left[line.sku] = left.get(line.sku, 0) - got
        out.append(msgspec.structs.replace(line, received_quantity=got))
    return tuple(out)


def awaiting_inspection(line: ReturnLine) -> int:
    if line.decision != "approved" or line.disposition != "inspect":
        return 0
    return line.received_quantity - line.restocked_quantity - line.scrapped_quantity


def with_inspection(lines: tuple[ReturnLine, ...], sku: str, quantity: int, result: str) -> tuple[ReturnLine, ...]:
    out = []
    for line in lines:
        take = min(quantity, awaiting_inspection(line)) if line.sku == sku else 0
        quantity -= take
        if take and result == "restock":
            line = msgspec.structs.replace(line, restocked_quantity=line.restocked_quantity + take)
        elif take:
            line = msgspec.structs.replace(line, scrapped_quantity=line.scrapped_quantity + take)
        out.append(line)
    return tuple(out)


def receipt_detail(lines: tuple[ReturnLine, ...]) -> str:
    got = ", ".join(f"{l.received_quantity} x {l.sku} ({l.disposition})" for l in lines if l.received_quantity)
    return f"received by the WMS: {got or 'nothing'}"


class ReturnReceiving:
    def __init__(self, engine: AsyncEngine, wms: FulfilmentPort) -> None:
        self._engine, self._wms = engine, wms

    def handlers(self) -> dict:
        return {RECEIVED_TOPIC: self.received, INSPECTION_TOPIC: self.tell_wms}

    async def received(self, message: Message) -> None:
        event = message.decode(ReturnReceived)
        for _ in range(_TRIES):
            async with self._engine.begin() as conn:
                rma = await repo.load(conn, event.rma_id)
                if rma is None:
                    raise NotFound(f"The WMS received a return the hub does not know: {event.rma_id}.",
                                   code="unknown_return")
                lines = with_receipt(rma.lines, event.lines)
                if lines == rma.lines:
                    return  # reported before
                if await events.move(conn, rma, unchanged=True, lines=lines, detail=receipt_detail(lines)):
                    return
        raise BackendUnavailable(f"The return {event.rma_id} kept changing; trying again.", backend="returns")

    async def tell_wms(self, message: Message) -> None:
        job = message.decode(InspectionJob)
        await self._wms.record_inspection(job.rma_id, job.sku, job.quantity, job.result, idempotency_key=job.key)
