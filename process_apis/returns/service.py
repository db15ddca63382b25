"""Return authorization and review: decide a return under the client's idempotency key,
and the operator's approval, rejection and inspection results.

    request_return ──> ledger.begin ──> order, shipments, claims ──> ERP items ──> rules
                       (replay / 409 /                              (final sale;  (per line)
                        422 reused)                                  cached)
                   ──> ONE transaction: claim the approved units (claimed + q <= shipped),
                       insert the RMA + history, outbox return.updated (+ return.saga when
                       authorized), the ledger's answer

Business refusals (422) are stored under the key and replayed; a backend
failure or an unknown order releases the key. Nothing is written unless the
whole return is.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import repository as orders
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.schemas import Viewer
from process_apis.returns import events
from process_apis.returns import repository as repo
from process_apis.returns import rules
from process_apis.returns.receiving import INSPECTION_TOPIC, InspectionJob, awaiting_inspection, with_inspection
from process_apis.returns.saga import SAGA_TOPIC, SagaStep, first_step
from process_apis.returns.schemas import HistoryEntry, Requested, RequestReturn, ReturnPolicy, ReturnView
from shared.errors import BusinessRuleViolation, Conflict, NotFound
from shared.idempotency import IdempotencyLedger, Replayed
from shared.messaging.outbox import enqueue
from shared.models import Item
from shared.together import together

_TRIES = 5



class ReturnService:
    def __init__(self, engine: AsyncEngine, ledger: IdempotencyLedger, backoffice: BackOffice,
                 policy: ReturnPolicy | None = None, *, wake: Callable[[], None] = lambda: None) -> None:
        self._engine = engine
        self._ledger = ledger
        self._backoffice = backoffice
        self._policy = policy or ReturnPolicy()
        self._wake = wake

    async def request_return(self, command: RequestReturn, idempotency_key: str) -> Requested:
        scope = f"{command.viewer.consumer} POST returns"
        outcome = await self._ledger.run(scope, idempotency_key, msgspec.json.encode(command),
                                         lambda: self._authorize(command, scope, idempotency_key))
        if isinstance(outcome, Replayed):
            return Requested(rma=msgspec.json.decode(outcome.response, type=ReturnView), replayed=True)
        self._wake()
        return Requested(rma=outcome)

    async def get_return(self, rma_id: str, viewer: Viewer | None = None) -> ReturnView:
        async with self._engine.connect() as conn:
            found = await repo.view(conn, rma_id, viewer)
        if found is None:
            raise NotFound(f"No return {rma_id}.", code="unknown_return")
        return found

    async def approve(self, rma_id: str, operator: str) -> ReturnView:
        async with self._engine.begin() as conn:
            rma = await self._reviewable(conn, rma_id, already="authorized")
            if rma is not None:
                step = first_step(rma)
                moved = await events.move(conn, rma, status_from=["pending_review"], status="authorized",
                                          saga_step=step, detail=f"approved by {operator}")
                if moved is None:
                    raise _not_pending(rma_id)
                await enqueue(conn, SAGA_TOPIC, rma_id, SagaStep(rma_id, step))
        self._wake()
        return await self.get_return(rma_id)

    async def reject(self, rma_id: str, operator: str, reason: str | None = None) -> ReturnView:
        async with self._engine.begin() as conn:
            rma = await self._reviewable(conn, rma_id, already="rejected")
            if rma is not None:
                lines = tuple(msgspec.structs.replace(l, decision="rejected", rejection_reason="rejected_on_review",
                                                      refund_amount=Decimal("0.00"))
                              if l.decision == "approved" else l for l in rma.lines)
                moved = await events.move(
                    conn, rma, status_from=["pending_review"], status="rejected", refund_status="not_applicable",
                    refund_method="none", refund_amount=Decimal("0.00"), lines=lines,
                    detail=f"rejected by {operator}" + (f": {reason}" if reason else ""))
                if moved is None:
                    raise _not_pending(rma_id)
                await repo.release(conn, rma.order_id, rules.approved_by_sku(rma.lines))
        return await self.get_return(rma_id)

    async def inspect(self, rma_id: str, sku: str, result: str, operator: str, quantity: int | None = None) -> ReturnView:
        for _ in range(_TRIES):
            async with self._engine.begin() as conn:
                rma = await repo.load(conn, rma_id)
                if rma is None:
                    raise NotFound(f"No return {rma_id}.", code="unknown_return")
                waiting = sum(awaiting_inspection(l) for l in rma.lines if l.sku == sku)
                if waiting == 0:
                    raise Conflict(f"No received unit of {sku} waits for inspection on {rma_id}.",
                                   code="nothing_to_inspect")
                count = quantity or waiting
                if count > waiting:
                    raise BusinessRuleViolation(f"Only {waiting} of {sku} wait for inspection.",
                                                code="quantity_exceeds_inspectable",
                                                errors=[{"field": "quantity", "message": f"at most {waiting}"}])
                done_before = sum(l.restocked_quantity + l.scrapped_quantity for l in rma.lines if l.sku == sku)
                moved = await events.move(conn, rma, unchanged=True,
                                          lines=with_inspection(rma.lines, sku, count, result),
                                          detail=f"inspected by {operator}: {count} x {sku} -> {result}")
                if moved is not None:
                    await enqueue(conn, INSPECTION_TOPIC, rma_id, InspectionJob(
                        rma_id=rma_id, sku=sku, quantity=count, result=result, key=f"{rma_id}:{sku}:{done_before}"))
                    break
        else:
            raise Conflict("The return is changing right now; retry.", code="return_busy", headers={"Retry-After": "1"})
        self._wake()
        return await self.get_return(rma_id)

    async def _authorize(self, cmd: RequestReturn, scope: str, key: str) -> ReturnView:
        async with self._engine.connect() as conn:
            order = await orders.load(conn, cmd.order_id)
            if order is None or not orders.visible(order, cmd.viewer):
                raise NotFound(f"No order {cmd.order_id}.", code="unknown_order")
            shipped = rules.capped(await repo.shipped(conn, cmd.order_id), order)
            claimed = await repo.claimed(conn, cmd.order_id)
        rules.check_returnable(cmd, shipped, claimed)
        items = await self._items(sorted(rules.requested(cmd)))
        now = datetime.now(UTC)
        lines = rules.decide_lines(cmd, order, shipped, items, self._policy, now)
        amount = rules.refund_total(lines)
        status = rules.status_of(lines, amount, self._policy)
        rma = repo.StoredReturn(
            rma_id=repo.new_rma_id(), order_id=order.order_id, consumer=cmd.viewer.consumer,
            customer_id=order.customer_id, channel=cmd.channel, status=status, currency=order.currency,
            refund_amount=amount, refund_status="pending" if status != "rejected" and amount > 0 else "not_applicable",
            refund_method=rules.refund_method(order, status, amount), lines=lines, created_at=now, updated_at=now)
        if status == "authorized":
            rma = msgspec.structs.replace(rma, saga_step=first_step(rma))
        detail = _DETAIL[status]
        async with self._engine.begin() as conn:
            await repo.insert_return(conn, rma, detail)
            await events.announce(conn, rma, detail)
            if rma.saga_step is not None:
                await enqueue(conn, SAGA_TOPIC, rma.rma_id, SagaStep(rma.rma_id, rma.saga_step))
            answer = repo.as_view(rma, (HistoryEntry(status=rma.status, refund_status=rma.refund_status,  # type: ignore[arg-type]
                                                     at=now, detail=detail),))
            await self._ledger.complete(conn, scope, key, 201, msgspec.json.encode(answer), rma.rma_id)
            # the contended rows last: their locks are held only for the last statements
            if await repo.claim(conn, order.order_id, rules.approved_by_sku(lines), shipped):
                raise BusinessRuleViolation("Another return took these units first.",
                                            code="quantity_exceeds_returnable")
        return answer

    async def _items(self, skus: list[str]) -> dict[str, Item | None]:
        async def item_or_none(sku: str) -> Item | None:
            try:
                return await self._backoffice.item(sku)
            except NotFound:
                return None  # no longer in the item master: not known as final sale

        return dict(zip(skus, await together(*(item_or_none(s) for s in skus))))

    async def _reviewable(self, conn, rma_id: str, already: str) -> repo.StoredReturn | None:  # noqa: ANN001
        """The RMA while it waits for review; None when it already is ``already`` (answer it again)."""
        rma = await repo.load(conn, rma_id)
        if rma is None:
            raise NotFound(f"No return {rma_id}.", code="unknown_return")
        if rma.status == "pending_review":
            return rma
        if rma.status == already:
            return None
        raise _not_pending(rma_id)



_DETAIL = {"authorized": "authorized; refund pending", "rejected": "no line may be returned",
           "pending_review": "the refund is above the review threshold: waiting for an operator"}


def _not_pending(rma_id: str) -> Conflict:
    return Conflict(f"The return {rma_id} is not waiting for review.", code="return_not_pending_review")

