"""The messaging part of the composition: the worker that runs the asynchronous flows.

    worker = await open_messaging(ctx, engine, {"order.accepted": flows.post_to_erp, ...})
    dead_letters = DeadLetterService(engine, wake=worker.wake)   # for the admin API

Redis configured (``ctx.redis``): relay + Redis Streams consumer group.
Otherwise the outbox table is the queue. Either way the worker stops with the
role (before the engine and the Redis client it uses, which were opened
first), ``/metrics`` gains ``hub_messages_total`` and friends, and
``/health/ready`` an ``outbox`` check that fails when the oldest due message
has waited longer than ``max_lag_seconds``. Every worker process also runs
the retention sweeper (``shared.messaging.retention``); an ``all`` role with
HUB_WORKER_CONCURRENCY=0 runs no workers and so no sweeper: its worker
processes sweep.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Awaitable, Callable

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce_hub.context import Context
from shared.messaging import (
    Handler, MessagingMetrics, OutboxStore, RedisTransport, TableTransport, Worker, WorkerConfig, stream_namespace,
)
from shared.messaging.config import DEFAULT_RETRY
from shared.messaging.outbox import utcnow
from shared.messaging.retention import RetentionSweeper
from shared.settings import Settings


class OutboxLagging(Exception):
    """Readiness: due messages wait longer than they should (workers down, stuck or too few)."""


async def open_messaging(
    ctx: Context, engine: AsyncEngine, handlers: dict[str, Handler], *, config: WorkerConfig | None = None
) -> Worker:
    """Build the transport the settings call for, start a worker on it, stop it with the role."""
    config = config or worker_config(ctx.settings)
    metrics = MessagingMetrics(ctx.metrics)
    store = OutboxStore(engine)
    if ctx.redis is not None:
        transport = RedisTransport(store, ctx.redis, config, namespace=stream_namespace(engine.url), metrics=metrics)
    else:
        transport = TableTransport(store, config)
    worker = Worker(transport, handlers, config=config, metrics=metrics, name=f"{ctx.role}-worker")
    await worker.start()
    ctx.stack.push_async_callback(worker.stop)
    ctx.checks["outbox"] = outbox_lag_check(store, config.max_lag_seconds, metrics)
    settings = ctx.settings
    sweeper = RetentionSweeper(engine, processed_for=timedelta(seconds=settings.processed_message_retention_seconds),
                               batch=settings.retention_batch_rows, metrics=ctx.metrics)
    sweeper.start(settings.retention_sweep_seconds)
    ctx.stack.push_async_callback(sweeper.stop)
    return worker


def worker_config(settings: Settings) -> WorkerConfig:
    return WorkerConfig(
        retry_budget_seconds=settings.retry_budget_seconds,
        retry=msgspec.structs.replace(DEFAULT_RETRY, max_delay=settings.retry_max_delay_seconds),
        concurrency=settings.worker_concurrency, poll_seconds=settings.outbox_poll_seconds,
        lease_seconds=settings.outbox_lease_seconds, republish_seconds=settings.outbox_republish_seconds,
    )


def outbox_lag_check(store: OutboxStore, max_lag: float, metrics: MessagingMetrics) -> Callable[[], Awaitable[None]]:
    """A readiness check that also refreshes ``hub_outbox_oldest_pending_seconds``."""

    async def check() -> None:
        age = await store.oldest_pending_age(utcnow())
        metrics.oldest_pending.set(value=age)
        if age > max_lag:
            raise OutboxLagging(f"the oldest due message has waited {age:.0f} s (limit {max_lag:g} s)")

    return check
