"""The refund saga: a persisted state machine the workers run, one outbox message per step.

    credit_memo ──> expected_receipt ──> payment_refund ──> done (refund issued)
         │                 │                    │
         └─ failed         └─ void_credit_memo  └─ cancel_receipt ─> void_credit_memo ─> failed

``returns.saga_step`` is the next step; a ``return.saga`` message (key: the RMA
id) carries it. A handler does the step only while the row still names it,
then moves the row to the next step and enqueues its message in one
transaction, so a message delivered twice, or a worker killed mid-step (its
lease runs out, another worker runs the same message), repeats an idempotent
backend call and changes nothing twice. Every backend write carries a key made
from the RMA id (the credit memo's external ref, the receipt's ``rma_ref``, the
card refund's ``Idempotency-Key``, or the RMA id a channel platform's adapter
finds its refund by before it creates one).

The payment refund, the one step that cannot be undone, runs last: every step
before it has a compensation, and nothing can fail after it. It gives the money
back where it was paid: a ``card`` order through the payment provider (against
the order's authorization), a ``channel`` order on the platform serving its
channel (``ChannelPlatformPort.refund`` against the platform's order, keyed by
the RMA id). A card order without an authorization, or a channel order no refund port
serves (``no_channel_refund``), is a refusal. So is a credit memo or refund
that, with the order's other refunds issued or under way, would give back more
units or money than the order was paid for (``refund_exceeds_paid``): checked
again right before money moves, whatever let the return be authorized. The steps a return needs depend
on it: no credit memo for a zero refund, no refund step for an order paid on
account (its credit memo credits the account and is the refund).

Giving up. A forward step whose backend keeps failing is retried by the worker
(``BackendUnavailable``) until ``StepBudget`` says its time is spent: when the
next attempt, one backoff interval (``retry_max_delay_seconds``) or the
backend's ``Retry-After`` away, would fall past ``retry_budget_seconds`` (an open
circuit, ``CircuitOpen``, is no attempt: the worker defers it without spending the
budget, whose clock moves on with the deferral). So
the saga, not the worker, decides (the worker would only dead-letter). A refusal (a 4xx) gives up at once.
Giving up moves the row to the first compensation, records the reason, and
raises a permanent ``BackendError`` (``saga_step_failed``): the worker
dead-letters the step's message, so operators see it in the dead-letter queue
(replaying it does nothing: the saga has moved on). The compensations run in
reverse order and are retried without giving up (a dead letter after the
budget; its replay resumes them); the last one ends the saga ``failed``:
``refund.status`` failed with the reason, and the units go back to returnable.

A pending channel refund. A platform may take a refund and settle it later
(the port answers ``status`` ``pending``). The step then records the refund id
and stays at ``payment_refund``; its message is deferred (``RefundPending``:
backoff growing to the worker's longest delay, no retry budget spent, since the
money may already be moving) and each later run asks the port only for that
refund's outcome (``ChannelPlatformPort.refund_outcome``), never refunds again.
``succeeded`` finishes the saga (refund issued); a ``channel_refund_failed``
refusal gives up as any refusal does (the compensations, then ``failed``).
Each happens once: the row moves only from ``payment_refund``.
"""

from __future__ import annotations

from datetime import datetime
from collections.abc import Mapping
from typing import Any, Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.orders import repository as orders
from process_apis.returns import events
from process_apis.returns import repository as repo
from process_apis.returns.rules import approved_by_sku, refund_excess
from process_apis.returns.schemas import ReturnLine
from shared.errors import BackendError, BackendUnavailable, BusinessRuleViolation, CircuitOpen, HubError, NotFound
from shared.messaging.outbox import Message, enqueue, utcnow
from shared.models import CreditMemoRequest, ExpectedReceipt, FulfilmentLine, OrderLine, ReceiptLine, Refund
from system_apis.erp.port import ErpPort
from system_apis.payments.port import PaymentsPort
from system_apis.channel.port import ChannelPlatformPort
from system_apis.wms.fulfilment_port import FulfilmentPort

SAGA_TOPIC = "return.saga"
FORWARD = ("credit_memo", "expected_receipt", "payment_refund")
REFUNDED_BY_A_BACKEND = ("card", "channel")
"""The refund methods whose money goes back through a backend: the ``payment_refund`` step.
``account_credit`` is the credit memo itself; ``none`` refunds nothing."""
DONE, FAILED = "done", "failed"


class RefundPending(BackendUnavailable):
    """The channel took the refund but has not settled it: ask again later, never give up for it."""

    code, title = "channel_refund_pending", "The channel has not settled the refund yet"
    defers = True
    """``shared.messaging.outcomes``: deferred by ``retry_after``, the retry budget's clock restarted."""


PENDING_FIRST_WAIT = 15.0
"""Seconds before a pending refund is first asked about again; doubled each time (the worker caps it)."""


class SagaStep(msgspec.Struct, frozen=True):
    """The payload of ``return.saga``: which RMA, and the step this message is for."""

    rma_id: str
    step: str


class StepBudget(msgspec.Struct, frozen=True):
    seconds: float = 900.0
    """``HUB_RETRY_BUDGET_SECONDS``: the worker dead-letters a message retried this long."""
    margin: float = 60.0
    """``HUB_RETRY_MAX_DELAY_SECONDS``: the longest wait before the next attempt."""

    def spent(self, message: Message, now: datetime, retry_after: float | None = None) -> bool:
        """True when the next attempt could not run in time: one backoff interval (or the
        backend's ``Retry-After``, e.g. an open circuit's pause) would reach the budget's end."""
        first = message.first_attempt_at or now
        waited = (now - first).total_seconds() + max(retry_after or 0.0, 0.0)
        return waited >= self.seconds - self.margin


def plan(rma: repo.StoredReturn) -> tuple[str, ...]:
    """The forward steps this return needs, in order: the credit memo when there is money to
    refund; the expected receipt always; last the ``payment_refund`` pivot for a ``card`` refund
    (payment provider) or a ``channel`` refund (the platform serving the order's channel)."""
    steps = ("credit_memo",) if rma.refund_amount > 0 else ()
    steps += ("expected_receipt",)
    return steps + (("payment_refund",) if rma.refund_method in REFUNDED_BY_A_BACKEND else ())


def first_step(rma: repo.StoredReturn) -> str:
    return plan(rma)[0]


def next_step(rma: repo.StoredReturn, step: str) -> str:
    """After a forward step succeeded, or after a compensation was done."""
    if step == "cancel_receipt":
        return "void_credit_memo" if "credit_memo" in plan(rma) else FAILED
    if step == "void_credit_memo":
        return FAILED
    steps = plan(rma)
    i = steps.index(step) + 1
    return steps[i] if i < len(steps) else DONE


def first_compensation(rma: repo.StoredReturn, failed_step: str) -> str:
    done = plan(rma)[: plan(rma).index(failed_step)]
    if "expected_receipt" in done:
        return "cancel_receipt"
    return "void_credit_memo" if "credit_memo" in done else FAILED


class ReturnSaga:
    def __init__(self, engine: AsyncEngine, erp: ErpPort, wms: FulfilmentPort, payments: PaymentsPort | None,
                 *, channels: Mapping[str, ChannelPlatformPort] | None = None, budget: StepBudget | None = None,
                 wake: Callable[[], None] = lambda: None, clock: Callable[[], datetime] = utcnow) -> None:
        self._engine, self._erp, self._wms, self._payments = engine, erp, wms, payments
        self._channels = channels or {}
        self._budget = budget or StepBudget()
        self._wake, self._clock = wake, clock

    def handlers(self) -> dict:
        return {SAGA_TOPIC: self.run}

    async def run(self, message: Message) -> None:
        job = message.decode(SagaStep)
        async with self._engine.connect() as conn:
            rma = await repo.load(conn, job.rma_id)
        if rma is None or rma.saga_step != job.step:
            return  # done before (a redelivery), or a dead letter replayed after the saga moved on
        if job.step in FORWARD:
            await self._forward(rma, job.step, message)
        else:
            await self._compensate(rma, job.step)

    async def _forward(self, rma: repo.StoredReturn, step: str, message: Message) -> None:
        try:
            values = await self._do(rma, step)
        except RefundPending as exc:
            exc.retry_after = PENDING_FIRST_WAIT * 2 ** min(max(message.attempts - 1, 0), 10)
            raise
        except BackendUnavailable as exc:
            if isinstance(exc, CircuitOpen) or not self._budget.spent(message, self._clock(), exc.retry_after):
                raise  # the worker retries with backoff; an open circuit (not tried) never gives up
            reason = f"{step}: {exc.code}: {exc.detail} (retry budget spent)"
            await self._give_up(rma, step, reason)
            raise BackendError(f"The refund saga of {rma.rma_id} gave up at {reason}", backend=exc.backend,
                               code="saga_step_failed") from exc
        except HubError as exc:  # refused for good: retrying cannot help
            reason = f"{step}: {exc.code}: {exc.detail}"
            await self._give_up(rma, step, reason)
            raise BackendError(f"The refund saga of {rma.rma_id} gave up at {reason}",
                               backend=getattr(exc, "backend", ""), code="saga_step_failed") from exc
        nxt = next_step(rma, step)
        issued = {"refund_status": "issued"} if nxt == DONE and rma.refund_status == "pending" else {}
        await self._advance(rma, step, nxt, _DONE_DETAIL[step].format(**values), **values, **issued)

    async def _compensate(self, rma: repo.StoredReturn, step: str) -> None:
        if step == "cancel_receipt":
            await self._wms.cancel_receipt(rma.rma_id)
            detail = "the WMS no longer expects the return"
        else:
            if rma.credit_memo_id is not None:
                try:
                    await self._erp.void_credit_memo(rma.credit_memo_id)
                except NotFound:
                    pass  # never booked: nothing to void
            detail = f"credit memo {rma.credit_memo_id} voided"
        nxt = next_step(rma, step)
        if nxt == FAILED:
            await self._fail(rma, step, f"{detail}; refund failed: {rma.refund_reason}", rma.refund_reason)
        else:
            await self._advance(rma, step, nxt, detail)

    async def _do(self, rma: repo.StoredReturn, step: str) -> dict[str, Any]:
        approved = [line for line in rma.lines if line.decision == "approved"]
        if step == "expected_receipt":
            await self._wms.expect_receipt(ExpectedReceipt(rma_id=rma.rma_id, order_id=rma.order_id, lines=tuple(
                ReceiptLine(sku=l.sku, quantity=l.quantity, disposition=l.disposition) for l in approved)))
            return {}
        order = await self._order(rma.order_id)
        if step == "payment_refund" and rma.refund_method == "channel" and rma.refund_id is not None:
            return await self._settled_on_channel(rma, order)  # made before, answered pending: only asked about
        await self._check_paid(rma, order)  # the credit memo and the refund: where money moves
        if step == "credit_memo":
            ref = await self._erp.create_credit_memo(CreditMemoRequest(
                rma_id=rma.rma_id, order_id=rma.order_id, erp_order_number=order.erp_order_number,
                customer_id=order.customer_id, currency=rma.currency, amount=rma.refund_amount,
                lines=tuple(OrderLine(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price,
                                      extended_price=l.refund_amount) for l in approved)))
            return {"credit_memo_id": ref.credit_memo_id}
        if rma.refund_method == "channel":
            refund = await self._refund_on_channel(rma, order, approved)
            if refund.status == "pending":
                await self._pending(rma, refund.refund_id)
        else:
            refund = await self._refund_card(rma, order)
        return {"refund_id": refund.refund_id}

    async def _check_paid(self, rma: repo.StoredReturn, order: orders.StoredOrder) -> None:
        """Refuse (``refund_exceeds_paid``) when this refund and the order's others would give
        back more than was paid for the lines, whatever let the return be authorized."""
        async with self._engine.connect() as conn:
            others = await repo.live_refunds(conn, rma.order_id, rma.rma_id)
        excess = refund_excess(order, rma.refund_amount, rma.lines, others)
        if excess is not None:
            raise BusinessRuleViolation(excess, code="refund_exceeds_paid")

    async def _refund_card(self, rma: repo.StoredReturn, order: orders.StoredOrder) -> Refund:
        authorization = (order.payment or {}).get("authorization_id")
        if self._payments is None or not authorization:
            raise BackendError("The order has no card authorization to refund against.", backend="payments",
                               code="no_payment_authorization")
        return await self._payments.refund(authorization, rma.refund_amount, rma.currency, idempotency_key=rma.rma_id)

    async def _refund_on_channel(self, rma: repo.StoredReturn, order: orders.StoredOrder,
                                 approved: list[ReturnLine]) -> Refund:
        """On the platform serving the order's channel, against its order (``channel_order_ref``);
        idempotent on the RMA id."""
        platform = self._channels.get(order.channel)
        if platform is None or not order.channel_order_ref:
            raise BackendError(f"No refund on the {order.channel} channel is configured for this order.",
                               backend=order.channel, code="no_channel_refund")
        lines = [FulfilmentLine(sku=line.sku, quantity=line.quantity) for line in approved]
        return await platform.refund(order.channel_order_ref, lines, rma.refund_amount, rma.currency,
                                     rma_id=rma.rma_id)

    async def _pending(self, rma: repo.StoredReturn, refund_id: str) -> None:
        """Record the refund the channel has not settled yet, and defer the step (``RefundPending``)."""
        async with self._engine.begin() as conn:
            await events.move(conn, rma, step_from="payment_refund", refund_id=refund_id,
                              detail=f"refund {refund_id} pending on the channel")
        raise RefundPending(f"refund {refund_id} is pending on the channel", backend="channel")

    async def _settled_on_channel(self, rma: repo.StoredReturn, order: orders.StoredOrder) -> dict[str, Any]:
        """The outcome of the refund recorded pending: done, still pending (deferred again), or refused."""
        platform = self._channels.get(order.channel)
        if platform is None or not order.channel_order_ref or rma.refund_id is None:
            raise BackendError(f"No refund on the {order.channel} channel is configured for this order.",
                               backend=order.channel, code="no_channel_refund")
        if await platform.refund_outcome(order.channel_order_ref, rma.refund_id) == "pending":
            raise RefundPending(f"refund {rma.refund_id} is pending on the channel", backend=order.channel)
        return {"refund_id": rma.refund_id}

    async def _advance(self, rma: repo.StoredReturn, step: str, nxt: str, detail: str, **values: Any) -> None:
        async with self._engine.begin() as conn:
            moved = await events.move(conn, rma, step_from=step, saga_step=nxt, detail=detail, **values)
            if moved is not None and nxt not in (DONE, FAILED):
                await enqueue(conn, SAGA_TOPIC, rma.rma_id, SagaStep(rma.rma_id, nxt))
        self._wake()

    async def _give_up(self, rma: repo.StoredReturn, step: str, reason: str) -> None:
        first = first_compensation(rma, step)
        if first == FAILED:
            await self._fail(rma, step, f"refund failed: {reason}", reason)
            return
        await self._advance(rma, step, first, f"undoing the completed steps: {reason}", refund_reason=reason)

    async def _fail(self, rma: repo.StoredReturn, step: str, detail: str, reason: str | None) -> None:
        """The end of a saga that gave up: refund failed with ``reason``, the units returnable again."""
        async with self._engine.begin() as conn:
            moved = await events.move(conn, rma, step_from=step, saga_step=FAILED, refund_status="failed",
                                      refund_reason=reason, detail=detail)
            if moved is not None:
                await repo.release(conn, rma.order_id, approved_by_sku(rma.lines))

    async def _order(self, order_id: str) -> orders.StoredOrder:
        async with self._engine.connect() as conn:
            order = await orders.load(conn, order_id)
        if order is None:
            raise NotFound(f"No order {order_id}.", code="unknown_order")
        return order


_DONE_DETAIL = {
    "credit_memo": "credit memo {credit_memo_id} booked",
    "expected_receipt": "the WMS expects the return",
    "payment_refund": "refund {refund_id} issued",
}
