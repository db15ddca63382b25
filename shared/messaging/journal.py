"""The journey record of message outcomes: what a worker did with each message of an order's
or a return's journey, written in the transaction that records the outcome (``store.settle``).

One row per delivery of a journey topic: ``done``, ``retried`` (with the error) or
``dead_lettered``; its attempts so far, the handler's latency, the backend the step
calls, the payload's schema version and the trace the message belongs to. The subject is
the message key (an order id, an RMA id, or a channel's order ref before capture).
Topics outside a journey (stock events, bus relays) are not recorded.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db.dialect import insert
from shared.db.tables import journey_refs
from shared.messaging.outbox import Message, utcnow


class Topic(msgspec.Struct, frozen=True):
    layer: str
    """Where the step's work happens: ``system`` (a backend call), ``process`` (the hub's own)."""
    backend: str | None = None
    schema_version: int = 1
    """The payload's shape: a producer that changes it bumps this (every payload is 1 so far)."""


JOURNEY_TOPICS: dict[str, Topic] = {
    "channel_order.received": Topic("process", "shopify"),
    "order.accepted": Topic("system", "erp"),
    "order.posted": Topic("system", "wms"),
    "shipment.confirmed": Topic("process", "wms"),
    "channel.fulfil": Topic("system", "shopify"),
    "edi.shipped": Topic("process"),  # the 856 and 810 of an EDI order's shipment
    "return.saga": Topic("system"),
    "return.received": Topic("process", "wms"),
    "return.inspection": Topic("system", "wms"),
}
SAGA_BACKENDS = {"credit_memo": "erp", "expected_receipt": "wms", "payment_refund": "payments"}
"""``return.saga``'s backend depends on the step its payload names."""


def step_row(message: Message, outcome: str, at: datetime, *, latency_ms: float | None,
             detail: str | None = None) -> dict[str, Any] | None:
    """The ``journey_steps`` row for this outcome, None for a topic outside any journey."""
    topic = JOURNEY_TOPICS.get(message.topic)
    if topic is None:
        return None
    backend = topic.backend
    if message.topic == "return.saga":
        backend = SAGA_BACKENDS.get(_saga_step(message.payload))
    trace_id = message.traceparent.split("-")[1] if message.traceparent and message.traceparent.count("-") == 3 \
        else None
    return {"subject": message.key, "at": at, "layer": topic.layer, "step": message.topic, "outcome": outcome,
            "attempts": message.attempts, "backend": backend, "latency_ms": latency_ms,
            "schema_version": topic.schema_version, "trace_id": trace_id, "message_id": message.id,
            "detail": detail[:500] if detail else None}


class _Step(msgspec.Struct):
    step: str = ""


def _saga_step(payload: bytes) -> str:
    try:
        return msgspec.json.decode(payload, type=_Step).step
    except msgspec.MsgspecError:
        return ""


async def add_ref(conn: AsyncConnection, ref: str, subject: str, kind: str) -> None:
    """Remember that ``ref`` (e.g. a channel platform's webhook id) leads to the identifier ``subject``, in
    the caller's transaction; recording it again changes nothing."""
    await conn.execute(insert(conn, journey_refs).values(ref=ref, subject=subject, kind=kind, at=utcnow())
                       .on_conflict_do_nothing())
