"""The order flows' shared statements (process_apis/orders/flow_batch.py), on SQLite and PostgreSQL:
steps recorded together each keep their own reference, history and next message, and a step
recorded twice (in one batch or two) moves the order once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from process_apis.orders.flow_batch import POSTED, RELEASED, FlowBatches
from shared.db.tables import order_history, outbox
from tests.process_apis.orders.test_shipments import placed


async def _history(world, order_id: str) -> list[tuple[str, str | None]]:  # noqa: ANN001
    async with world.engine.connect() as conn:
        rows = await conn.execute(select(order_history.c.status, order_history.c.detail)
                                  .where(order_history.c.order_id == order_id).order_by(order_history.c.id))
        return [tuple(r) for r in rows]


async def _messages(world, topic: str, key: str) -> list[str | None]:  # noqa: ANN001
    async with world.engine.connect() as conn:
        rows = await conn.execute(select(outbox.c.traceparent).where(outbox.c.topic == topic, outbox.c.key == key))
        return [r.traceparent for r in rows]


async def test_steps_recorded_together_keep_their_own_reference_history_and_message(world) -> None:
    ids = [await placed(world, (world.bits, 1, "24.50")) for _ in range(5)]
    batches = FlowBatches(world.engine)
    orders = await asyncio.gather(*(batches.load(i) for i in ids))
    assert [o.order_id for o in orders] == ids and {o.status for o in orders} == {"accepted"}
    moved = await asyncio.gather(*(batches.record(POSTED, o, f"SO-{n}", f"ERP sales order SO-{n}")
                                   for n, o in enumerate(orders)))
    assert moved == [True] * 5
    for n, order_id in enumerate(ids):
        order = await batches.load(order_id)
        assert (order.status, order.erp_order_number) == ("posted", f"SO-{n}")
        assert (await _history(world, order_id))[-1] == ("posted", f"ERP sales order SO-{n}")
        assert len(await _messages(world, "order.posted", order_id)) == 1


async def test_a_step_recorded_twice_moves_the_order_once(world) -> None:
    order_id = await placed(world, (world.bits, 1, "24.50"))
    batches = FlowBatches(world.engine)
    order = await batches.load(order_id)
    together = await asyncio.gather(batches.record(POSTED, order, "SO-1", "first"),
                                    batches.record(POSTED, order, "SO-2", "second"))
    again = await batches.record(POSTED, order, "SO-3", "later")
    assert sorted(together) == [False, True] and again is False
    assert (await batches.load(order_id)).erp_order_number in ("SO-1", "SO-2")
    assert [s for s, _ in await _history(world, order_id)] == ["accepted", "posted"]
    assert len(await _messages(world, "order.posted", order_id)) == 1
    released = await batches.record(RELEASED, await batches.load(order_id), "FUL-1", "WMS fulfilment FUL-1")
    assert released is True and (await batches.load(order_id)).status == "released"
    async with world.engine.connect() as conn:
        queued = (await conn.execute(select(func.count()).select_from(outbox)
                                     .where(outbox.c.key == order_id, outbox.c.topic != "order.posted"))).scalar()
    assert queued == 1  # the capture's order.accepted only: releasing queues nothing more


async def test_an_unknown_order_loads_as_none(world) -> None:
    assert await FlowBatches(world.engine).load(f"ord_{uuid.uuid4().hex[:26]}") is None
