"""Journeys: find an order or a return by any identifier and tell its timeline.

A journey's steps come from what the hub records anyway, in the transactions that
make the changes: the status history (each entry with the trace it happened in),
the workers' message outcomes (``journey_steps``: done, retried, dead-lettered,
with attempts, latency, backend, schema version and trace), an order's release
parts when it went to several fulfilment connections (``order_releases``: each
part's release and shipment, with its connection as the backend), dead letters an
operator replayed or resolved (by whom, with the note), and messages still waiting
in the outbox. Steps are sorted by time, oldest first. An order's messages are keyed by its id, and, for an order
captured from a channel platform's webhook, first by the platform's order id.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.journeys import repository as repo
from process_apis.journeys.schemas import Journey, JourneyRefs, Journeys, JourneyStep
from process_apis.orders.schemas import OWN_CHANNELS
from shared.db.engine import reading


class JourneyService:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def find(self, ref: str) -> Journeys:
        async with reading(self._engine) as conn:
            order_ids, rma_ids = await repo.matches(conn, ref)
            if not order_ids and not rma_ids:
                return Journeys(items=[])
            orders = await repo.order_rows(conn, order_ids)
            returns = await repo.return_rows(conn, rma_ids)
            by_order = {o.order_id: _subjects(o) for o in orders}
            subjects = {s for ss in by_order.values() for s in ss} | set(rma_ids)
            shipped = await repo.shipments_of(conn, order_ids)
            rmas = await repo.rma_ids_of(conn, order_ids)
            hooks = await repo.webhook_ids_of(conn, subjects)
            history = {**await repo.order_statuses(conn, order_ids), **await repo.return_statuses(conn, rma_ids)}
            messages = await repo.message_steps(conn, subjects)
            releases = await repo.release_steps(conn, order_ids)
        items = []
        for o in orders:
            steps = history.get(o.order_id, []) + [m for s in by_order[o.order_id] for m in messages.get(s, [])] \
                + releases.get(o.order_id, [])
            refs = JourneyRefs(
                order_id=o.order_id, channel=o.channel, channel_order_ref=o.channel_order_ref, po_number=o.po_number,
                erp_order_number=o.erp_order_number, fulfilment_id=o.fulfilment_id,
                shipment_ids=tuple(s.shipment_id for s in shipped.get(o.order_id, [])),
                tracking_numbers=tuple(s.tracking_number for s in shipped.get(o.order_id, [])),
                rma_ids=tuple(rmas.get(o.order_id, [])),
                webhook_ids=tuple(w for s in by_order[o.order_id] for w in hooks.get(s, [])))
            items.append(Journey(kind="order", id=o.order_id, status=o.status, refs=refs, steps=_timeline(steps)))
        for r in returns:
            refs = JourneyRefs(rma_id=r.rma_id, order_id=r.order_id, credit_memo_id=r.credit_memo_id,
                               refund_id=r.refund_id)
            steps = history.get(r.rma_id, []) + messages.get(r.rma_id, [])
            items.append(Journey(kind="return", id=r.rma_id, status=r.status, refs=refs, steps=_timeline(steps)))
        return Journeys(items=items)


def _subjects(order: Any) -> tuple[str, ...]:
    """The message keys of an order's journey: its id; a channel platform order's capture is keyed
    by the platform's order id."""
    if order.channel not in OWN_CHANNELS and order.channel_order_ref:
        return order.order_id, order.channel_order_ref
    return (order.order_id,)


def _timeline(steps: list[JourneyStep]) -> tuple[JourneyStep, ...]:
    return tuple(sorted(steps, key=lambda s: s.at))  # stable: same-instant steps keep their recorded order
