"""Receiving X12 interchanges: 997 always, each 850 captured once as a partner order, 855 after.

    receive ──> codec.read ──> one transaction:                      ──> capture each 850 now
                (400 unreadable,  the interchange (unique per partner      (same order capture as
                 403 unknown       and ISA13: a resend is answered with     POST /v1/partner/orders)
                 partner)          what was sent the first time),          ──> 855 + outcome, one
                                   its 997 (TA1: envelope wrong),              transaction
                                   one ``edi.capture`` per accepted 850,
                                   due later: the safety net

The capture runs in the request; when a backend it needs is down (or the
process dies) the ``edi.capture`` message, already committed with the
interchange, runs it again from a worker until it is done (retries, dead
letters and replays as every flow). Either path places the order under one
idempotency key per 850 (partner, ISA13, ST02), and the 855 and the outcome
are written once (unique rows), so an 850 becomes one order, posted to the
ERP once by the order flows, however often it is sent or retried. The same
PO number in a new interchange is the order capture's 409 ``duplicate_po``:
outcome ``duplicate``, no second order, no second 855.

Lines the order capture refuses one by one (``unknown_sku``, ``not_orderable``,
``price_mismatch``, ``insufficient_stock``) are left out and the rest is
captured: 855 ``AC`` with ``IR`` on those lines. A refusal of the whole order
(credit hold or limit, unknown customer) is 855 ``RJ``.
"""

from __future__ import annotations

import hashlib
import re

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.edi import repository as repo
from process_apis.edi.outbound import Outbound, Partners
from process_apis.edi.schemas import CaptureJob, DocumentPage, OrderOutcome, Receipt, TradingPartner
from process_apis.orders.port import OrderPort
from process_apis.orders.schemas import LineRequest, Placed, PlaceOrder
from shared.db.engine import reading
from shared.errors import BackendUnavailable, BusinessRuleViolation, Conflict
from shared.messaging.outbox import Message, enqueue, withdraw
from system_apis.edi.port import AckLine, OrderAck, PurchaseOrder, Received, X12Codec

CAPTURE_TOPIC = "edi.capture"
SAFETY_NET_SECONDS = 60.0
"""When the worker's copy of a capture becomes due: after the request has had its go. A capture
the request completes withdraws it in the transaction that records the outcome, so the flow shows
no backlog for 850s already captured and the worker does not capture each one a second time."""
_LINE = re.compile(r"^lines\[(\d+)\]")


class EdiService:
    def __init__(self, engine: AsyncEngine, codec: X12Codec, orders: OrderPort, partners: Partners,
                 outbound: Outbound) -> None:
        self._engine = engine
        self._codec = codec
        self._orders = orders
        self._partners = partners
        self._out = outbound

    def handlers(self) -> dict:
        return {CAPTURE_TOPIC: self._capture_message}

    async def receive(self, raw: bytes, customer_id: str | None = None) -> Receipt:
        received = self._codec.read(raw)
        partner = self._partners.sender_of(received, customer_id)
        if not received.envelope_error and received.receiver.isa_id != self._partners.hub.isa_id:
            received = msgspec.structs.replace(received, envelope_error="008", error_segment="ISA", groups=(),
                                               detail=f"ISA08 {received.receiver.isa_id!r} is not the hub's ISA id.")
        status = _status(received)
        jobs = [CaptureJob(partner=partner.name, interchange_control=received.control, po=po)
                for group in received.groups if not group.error for po in group.orders]
        ack_type = "TA1" if received.envelope_error else "997"
        ref = _ref(received, status, raw)
        async with self._engine.begin() as conn:
            first = await repo.add_document(conn, partner=partner.name, direction="in", doc_type="850", ref=ref,
                                            interchange_control=received.control[:9], status=status,
                                            raw=raw.decode("latin-1"))
            if first is not None:
                ack = await self._out.send(conn, partner, ack_type, ref,
                                           lambda env: self._codec.functional_ack(env, received))
                for job in jobs:
                    await enqueue(conn, CAPTURE_TOPIC, capture_key(job), job, delay=SAFETY_NET_SECONDS)
        if first is None:
            await self._same_as_before(partner, received, ref, raw)
            return await self._receipt(partner, received, status, ref, replayed=True)
        self._out.drop_off([ack])
        for job in jobs:
            try:
                await self.capture(job)
            except BackendUnavailable:
                pass  # the worker's copy captures it
        return await self._receipt(partner, received, status, ref)

    async def _same_as_before(self, partner: TradingPartner, received: Received, ref: str, raw: bytes) -> None:
        """A resend of a taken interchange is answered with what was sent the first time; other
        content under the same ISA13 is refused (409 ``edi_control_number_reused``, the X12 TA1 note
        025 "duplicate interchange control number"): answering it as a resend would drop its orders
        unseen. Line breaks between segments do not count (a VAN may add or take them)."""
        async with reading(self._engine) as conn:
            before = await repo.document(conn, partner.name, "in", "850", ref)
        if before is not None and _content(before.raw.encode("latin-1")) != _content(raw):
            raise Conflict(f"Interchange control number {received.control} (ISA13) was used before by {partner.name} "
                           "for a different interchange; nothing of this one was taken. Send it under a new ISA13.",
                           code="edi_control_number_reused")

    async def _receipt(self, partner: TradingPartner, received: Received, status: str, ref: str, *,
                       replayed: bool = False) -> Receipt:
        async with reading(self._engine) as conn:
            outcomes = []
            for po in (po for group in received.groups if not group.error for po in group.orders):
                done = await repo.outcome_of(conn, partner.name, received.control, po.control)
                outcomes.append(done or OrderOutcome(po_number=po.po_number, set_control=po.control,
                                                     outcome="pending"))
            docs = await repo.answers_to(conn, partner.name, ref)
        return Receipt(partner=partner.name, interchange_control=received.control, status=status,  # type: ignore[arg-type]
                       orders=tuple(outcomes), documents=tuple(docs), replayed=replayed,
                       error_segment=received.error_segment or _first_segment(received),
                       detail=received.detail or _first_detail(received))

    async def documents(self, customer_id: str, limit: int = 50, cursor: str | None = None,
                        doc_type: str | None = None) -> DocumentPage:
        before = int(cursor) if cursor and cursor.isdigit() else None
        async with reading(self._engine) as conn:
            items = await repo.page(conn, self._partners.of_customer(customer_id), limit + 1, before, doc_type)
        more = len(items) > limit
        items = items[:limit]
        return DocumentPage(items=tuple(items), next_cursor=str(items[-1].id) if more and items else None)

    async def _capture_message(self, message: Message) -> None:
        await self.capture(message.decode(CaptureJob))

    async def capture(self, job: CaptureJob) -> OrderOutcome:
        """Place the 850's order (once) and send its 855; raises BackendUnavailable to be retried."""
        async with reading(self._engine) as conn:
            done = await repo.outcome_of(conn, job.partner, job.interchange_control, job.po.control)
        if done is not None:
            return done
        partner = self._partners.named(job.partner)
        po = job.po
        key = capture_key(job)
        refused: dict[int, str] = {}
        placed: Placed | None = None
        try:
            placed = await self._place(partner, po, key, refused)
        except Conflict as exc:
            if exc.code != "duplicate_po":
                raise BackendUnavailable("The same 850 is being captured right now.", backend="orders",
                                         retry_after=1.0) from exc
            return await self._record(job, OrderOutcome(po_number=po.po_number, set_control=po.control,
                                                        outcome="duplicate", detail=exc.detail), None)
        except BusinessRuleViolation as exc:
            return await self._record(job, OrderOutcome(po_number=po.po_number, set_control=po.control,
                                                        outcome="rejected", detail=f"{exc.code}: {exc.detail}"),
                                      OrderAck(po=po, status="RJ", lines=tuple(
                                          AckLine(line=line, status="IR", reason=exc.code) for line in po.lines)))
        prices = iter(placed.order.lines)
        lines = tuple(AckLine(line=line, status="IR", reason=refused[i]) if i in refused
                      else AckLine(line=line, status="IA", unit_price=next(prices).unit_price)
                      for i, line in enumerate(po.lines))
        changed = bool(refused)
        outcome = OrderOutcome(po_number=po.po_number, set_control=po.control, order_id=placed.order.order_id,
                               outcome="accepted_with_changes" if changed else "accepted",
                               detail=", ".join(sorted(set(refused.values()))) or None)
        return await self._record(job, outcome, OrderAck(po=po, status="AC" if changed else "AD", lines=lines,
                                                         order_id=placed.order.order_id))

    async def _place(self, partner: TradingPartner, po: PurchaseOrder, key: str, refused: dict[int, str]) -> Placed:
        """The order of every line, or (lines refused one by one) of the others; fills ``refused``."""
        cmd = PlaceOrder(channel="partner", consumer=f"edi:{partner.name}", customer_id=partner.customer_id,
                         po_number=po.po_number, currency=po.currency, ship_to=po.ship_to,
                         lines=tuple(LineRequest(sku=l.sku, quantity=l.quantity, unit_price=l.unit_price)
                                     for l in po.lines))
        try:
            return await self._orders.place_order(cmd, key)
        except BusinessRuleViolation as exc:
            for error in exc.errors or []:
                found = _LINE.match(error.get("field", ""))
                if found is None:
                    raise  # a refusal of the whole order
                refused[int(found.group(1))] = exc.code
            if len(refused) >= len(po.lines) or not refused:
                raise
        rest = tuple(line for i, line in enumerate(cmd.lines) if i not in refused)
        return await self._orders.place_order(msgspec.structs.replace(cmd, lines=rest), f"{key}:changed")

    async def _record(self, job: CaptureJob, outcome: OrderOutcome, ack: OrderAck | None) -> OrderOutcome:
        partner = self._partners.named(job.partner)
        sent = None
        async with self._engine.begin() as conn:
            if not await repo.record_order(conn, partner.name, job.interchange_control, job.po, outcome):
                return await repo.outcome_of(conn, partner.name, job.interchange_control, job.po.control) or outcome
            await withdraw(conn, CAPTURE_TOPIC, capture_key(job))  # captured in the request: no safety net left
            if ack is not None:
                sent = await self._out.send(conn, partner, "855", f"{job.interchange_control}:{job.po.control}",
                                            lambda env: self._codec.order_ack(env, ack), order_id=outcome.order_id,
                                            po_number=job.po.po_number)
        self._out.drop_off([sent])
        return outcome


def capture_key(job: CaptureJob) -> str:
    """One 850's: its order's idempotency key and its ``edi.capture`` message's key."""
    return f"edi:{job.partner}:{job.interchange_control}:{job.po.control}"


def _ref(received: Received, status: str, raw: bytes) -> str:
    """What makes an interchange the same one again: its ISA13, once it was taken. A rejected
    one never holds its control number (the fixed interchange may come under the same ISA13):
    the same rejected bytes again are the same, other bytes are new."""
    if status != "rejected":
        return received.control
    return "rejected-" + hashlib.sha256(raw).hexdigest()[:32]


def _content(raw: bytes) -> bytes:
    return raw.replace(b"\r", b"").replace(b"\n", b"").strip()


def _status(received: Received) -> str:
    if received.envelope_error:
        return "rejected"
    sets = sum(g.sets for g in received.groups)
    accepted = sum(len(g.orders) for g in received.groups if not g.error)
    return "accepted" if accepted == sets and sets else ("partially_accepted" if accepted else "rejected")


def _first_segment(received: Received) -> str | None:
    problem = next((p for g in received.groups for p in g.problems), None)
    return problem.segment if problem is not None else ("GE" if any(g.error for g in received.groups) else None)


def _first_detail(received: Received) -> str | None:
    problem = next((p for g in received.groups for p in g.problems), None)
    if problem is not None:
        return problem.detail
    group = next((g for g in received.groups if g.error), None)
    return None if group is None else f"Functional group {group.control}: GE does not match GS (AK905 {group.error})."
