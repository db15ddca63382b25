"""commerce_hub/messaging_role.py: the transport the settings call for, readiness and metrics."""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import insert

from commerce_hub.context import Context
from commerce_hub.messaging_role import OutboxLagging, open_messaging
from shared.db.tables import outbox
from shared.messaging import Message, RedisTransport, TableTransport
from shared.messaging.outbox import utcnow
from tests.conftest import make_settings
from tests.shared.messaging.conftest import Backbone, Order


async def test_open_messaging_runs_handlers_and_reports_readiness_and_metrics(backbone: Backbone) -> None:
    redis_url = backbone.redis_url
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.key)

    async with AsyncExitStack() as stack:
        ctx = Context(settings=make_settings(backbone.database_url, redis_url=redis_url), role="worker", stack=stack)
        await ctx.open_redis()
        worker = await open_messaging(ctx, backbone.engine, {"order.accepted": handle})
        assert isinstance(worker.transport, RedisTransport if redis_url else TableTransport)
        await backbone.enqueue("order.accepted", "O-1", Order(order_id="O-1"))
        worker.wake()
        await worker.drain(timeout=10)
        assert handled == ["O-1"]
        await ctx.checks["outbox"]()
        metrics = ctx.metrics.render()
        assert 'hub_messages_total{outcome="done",topic="order.accepted"} 1.0' in metrics
        assert "hub_outbox_oldest_pending_seconds 0" in metrics

        async with backbone.engine.begin() as conn:  # a topic no worker handles, due an hour ago
            now = utcnow()
            await conn.execute(insert(outbox).values(topic="nobody.listens", key="k", payload="{}", attempts=0,
                                                     available_at=now - timedelta(hours=1), created_at=now))
        with pytest.raises(OutboxLagging):
            await ctx.checks["outbox"]()
        assert "hub_outbox_oldest_pending_seconds 36" in ctx.metrics.render()
    assert worker.in_flight == 0
