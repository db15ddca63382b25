"""``GET /admin/v1/flows``: per flow throughput, errors, latency and backlog, plus the business
views (order aging, inventory propagation lag, refund exceptions, failures by channel and
backend), from the database.

Every statement is bounded: the outbox holds only pending work; history counts use
``ix_order_history_at`` / ``ix_return_history_at`` within the last hour; step latency samples
the newest ``SAMPLE`` steps of the hour (order capture: each capture's own latency; the inventory flows:
their lag, see ``lag``); aging and refund exceptions use status indexes. The
whole answer is cached for ``cache_seconds`` (the console polls every few seconds).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, Callable

import msgspec
from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from process_apis.ops.catalog import AGE_BUCKETS, BY_TOPIC, FLOWS, OPEN_ORDER_STATUSES, FlowSpec
from process_apis.ops.lag import StorefrontLag, inventory_lag, percentiles
from shared.db.engine import reading
from shared.db.storefront_tables import storefront_levels
from shared.db.tables import (
    dead_letters, journey_steps, order_history, orders, outbox, return_history, returns, stock_levels,
    webhook_deliveries,
)
from shared.messaging.journal import JOURNEY_TOPICS
from shared.messaging.outbox import as_utc, utcnow

SAMPLE = 1000
"""Step latencies: at most this many of the hour's newest steps per flow."""
_HOUR, _FIVE = timedelta(hours=1), timedelta(minutes=5)


class Flow(msgspec.Struct, kw_only=True):
    flow: str
    status: str
    """``active``, or ``not_configured`` (a flow the hub does not run yet: zero counts)."""
    topics: list[str]
    backend: str | None
    counts: dict[str, int]
    """pending (due, waiting for a worker), scheduled (waiting for a retry or a paused backend),
    in_flight, failing (pending with an error), done and dead (last hour)."""
    throughput: dict[str, int]
    """Steps done in the last ``5m`` and ``1h``."""
    error_rate: float
    """Last hour: (dead + failing) / (done + dead + failing)."""
    error_rate_5m: float
    p50_ms: float | None
    p95_ms: float | None
    backlog: int
    oldest_pending_seconds: float
    """Age of the flow's oldest unfinished message (due, held or waiting for a retry)."""
    dead_letters_open: int


class FlowsView(msgspec.Struct, kw_only=True):
    items: list[Flow]
    business: dict[str, Any]
    generated_at: datetime


class FlowsService:
    def __init__(self, engine: AsyncEngine, *, cache_seconds: float = 2.0, clock: Callable[[], datetime] = utcnow,
                 storefront_lag: StorefrontLag | None = None) -> None:
        """``storefront_lag``: the storefront push's lag samples (None: ``to_storefront_ms`` is null)."""
        self._engine, self._cache_seconds, self._clock = engine, cache_seconds, clock
        self._storefront_lag = storefront_lag
        self._cached: tuple[float, FlowsView] | None = None

    async def view(self) -> FlowsView:
        if self._cached is not None and time.monotonic() - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        now = self._clock()
        async with reading(self._engine) as conn:
            pending = await _outbox_by_topic(conn, now)
            dead = await _dead_by_topic(conn, now)
            done = await _history_counts(conn, now)
            lag = await inventory_lag(conn, now, self._storefront_lag)
            items = [await _flow(conn, spec, now, pending, dead, done, _lag_latency(spec, lag)) for spec in FLOWS]
            business = {
                "order_aging": await _order_aging(conn, now),
                "inventory_lag": lag,
                "refund_exceptions": await _refund_exceptions(conn, now),
                "failures_by_channel": await _failures_by_channel(conn),
                "failures_by_backend": _failures_by_backend(dead),
            }
        result = FlowsView(items=items, business=business, generated_at=now)
        self._cached = (time.monotonic(), result)
        return result


async def _outbox_by_topic(conn: AsyncConnection, now: datetime) -> dict[str, dict[str, Any]]:
    due = outbox.c.available_at <= now
    held = and_(outbox.c.claimed_until.is_not(None), outbox.c.claimed_until >= now)
    rows = (await conn.execute(select(
        outbox.c.topic,
        func.sum(case((and_(due, ~held), 1), else_=0)), func.sum(case((outbox.c.available_at > now, 1), else_=0)),
        func.sum(case((held, 1), else_=0)), func.sum(case((outbox.c.last_error.is_not(None), 1), else_=0)),
        func.min(outbox.c.created_at),
    ).group_by(outbox.c.topic))).all()
    return {r[0]: {"pending": int(r[1] or 0), "scheduled": int(r[2] or 0), "in_flight": int(r[3] or 0),
                   "failing": int(r[4] or 0), "oldest": as_utc(r[5])} for r in rows}


async def _dead_by_topic(conn: AsyncConnection, now: datetime) -> dict[str, dict[str, int]]:
    rows = (await conn.execute(select(
        dead_letters.c.topic,
        func.sum(case((dead_letters.c.dead_at >= now - _FIVE, 1), else_=0)),
        func.sum(case((dead_letters.c.dead_at >= now - _HOUR, 1), else_=0)),
        func.sum(case((dead_letters.c.status == "open", 1), else_=0)),
    ).group_by(dead_letters.c.topic))).all()
    return {r[0]: {"5m": int(r[1] or 0), "1h": int(r[2] or 0), "open": int(r[3] or 0)} for r in rows}


async def _history_counts(conn: AsyncConnection, now: datetime) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for table, prefix in ((order_history, ""), (return_history, "return:")):
        rows = (await conn.execute(select(
            table.c.status, func.sum(case((table.c.at >= now - _FIVE, 1), else_=0)), func.count(),
        ).where(table.c.at >= now - _HOUR).group_by(table.c.status))).all()
        for status, five, hour in rows:
            out[prefix + status] = {"5m": int(five or 0), "1h": int(hour or 0)}
    return out


async def _handler_latency(conn: AsyncConnection, topics: list[str], now: datetime) -> tuple[float | None, float | None]:
    if not topics:
        return None, None
    s = journey_steps.c
    rows = await conn.execute(select(s.latency_ms).where(
        s.step.in_(topics), s.at >= now - _HOUR, s.outcome == "done", s.latency_ms.is_not(None),
    ).order_by(s.at.desc()).limit(SAMPLE))
    return percentiles(list(rows.scalars()))


async def _delivery_latency(conn: AsyncConnection, now: datetime) -> tuple[float | None, float | None]:
    """Partner webhooks: from the event (its delivery row made) to the partner's 2xx, newest of the hour."""
    d = webhook_deliveries.c
    rows = await conn.execute(select(d.created_at, d.delivered_at).where(d.delivered_at >= now - _HOUR)
                              .order_by(d.delivered_at.desc()).limit(SAMPLE))
    return percentiles([max((as_utc(done) - as_utc(made)).total_seconds() * 1000, 0.0) for made, done in rows])


async def _capture_latency(conn: AsyncConnection, now: datetime) -> tuple[float | None, float | None]:
    """Order capture: each 'accepted' entry's own latency (arrival at the process layer to the
    commit, migration 0021), synchronous and channel (Shopify) captures alike, newest of the hour."""
    h = order_history.c
    rows = await conn.execute(select(h.latency_ms).where(
        h.at >= now - _HOUR, h.status == "accepted", h.latency_ms.is_not(None)).order_by(h.at.desc()).limit(SAMPLE))
    return percentiles(list(rows.scalars()))


def _lag_latency(spec: FlowSpec, lag: dict[str, Any]) -> tuple[float | None, float | None] | None:
    """The inventory flows' step latency is their propagation lag (receipt to checkout, to storefront)."""
    figure = {"inventory_sync": "to_checkout_ms", "storefront_push": "to_storefront_ms"}.get(spec.name)
    if figure is None:
        return None
    found = lag[figure]
    return (found["p50"], found["p95"]) if found else (None, None)


async def _flow(conn: AsyncConnection, spec: FlowSpec, now: datetime, pending: dict, dead: dict, done: dict,
                latency: tuple[float | None, float | None] | None = None) -> Flow:
    mine = [pending[t] for t in spec.topics if t in pending]
    counts = {k: sum(p[k] for p in mine) for k in ("pending", "scheduled", "in_flight", "failing")}
    letters = {k: sum(dead.get(t, {}).get(k, 0) for t in spec.topics) for k in ("5m", "1h", "open")}
    throughput = await _throughput(conn, spec, now, done)
    counts.update(done=throughput["1h"], dead=letters["1h"])
    if spec.name == "storefront_push":  # levels the shop does not show yet as the hub wants them
        counts["pending"] = int((await conn.execute(select(func.count()).where(
            storefront_levels.c.version > storefront_levels.c.pushed_version))).scalar() or 0)
    oldest = [p["oldest"] for p in mine if p["oldest"] is not None]
    p50, p95 = latency if latency is not None else await _latency(conn, spec, now)
    return Flow(
        flow=spec.name, status="active" if spec.configured else "not_configured", topics=list(spec.topics),
        backend=spec.backend, counts=counts, throughput=throughput,
        error_rate=_rate(letters["1h"] + counts["failing"], throughput["1h"]),
        error_rate_5m=_rate(letters["5m"] + counts["failing"], throughput["5m"]),
        p50_ms=p50, p95_ms=p95, backlog=counts["pending"] + counts["scheduled"] + counts["in_flight"],
        oldest_pending_seconds=round(max((now - min(oldest)).total_seconds(), 0.0), 3) if oldest else 0.0,
        dead_letters_open=letters["open"])


def _rate(bad: int, good: int) -> float:
    return round(bad / (bad + good), 4) if bad + good else 0.0


async def _throughput(conn: AsyncConnection, spec: FlowSpec, now: datetime, done: dict) -> dict[str, int]:
    if spec.done_status is not None:
        return done.get(spec.done_status, {"5m": 0, "1h": 0})
    if spec.returns:
        rows = [v for k, v in done.items() if k.startswith("return:")]
        return {"5m": sum(r["5m"] for r in rows), "1h": sum(r["1h"] for r in rows)}
    if spec.name == "refund_saga":
        return await _windowed(conn, returns.c.updated_at, now, returns.c.refund_status == "issued")
    if spec.name == "inventory_sync":
        return await _windowed(conn, stock_levels.c.updated_at, now)
    if spec.name == "partner_webhooks":
        return await _windowed(conn, webhook_deliveries.c.delivered_at, now)
    if spec.name == "storefront_push":  # levels whose last push was in the window
        return await _windowed(conn, storefront_levels.c.pushed_at, now)
    return {"5m": 0, "1h": 0}


async def _windowed(conn: AsyncConnection, at: Any, now: datetime, *where: Any) -> dict[str, int]:
    row = (await conn.execute(select(func.sum(case((at >= now - _FIVE, 1), else_=0)), func.count())
                              .where(at >= now - _HOUR, *where))).one()
    return {"5m": int(row[0] or 0), "1h": int(row[1] or 0)}


async def _latency(conn: AsyncConnection, spec: FlowSpec, now: datetime) -> tuple[float | None, float | None]:
    """p50/p95 of the time from ``from_status`` to ``done_status`` over the hour's newest steps; a
    flow without that pair: its handlers' run time (``journey_steps``), if its topics are journeyed."""
    if spec.name == "partner_webhooks":
        return await _delivery_latency(conn, now)
    if spec.name == "order_capture":
        return await _capture_latency(conn, now)
    if spec.from_status is None or spec.done_status is None:
        return await _handler_latency(conn, [t for t in spec.topics if t in JOURNEY_TOPICS], now)
    end = order_history.alias("step_end")
    start = order_history.alias("step_start")
    newest = (select(end.c.order_id, end.c.at).where(end.c.status == spec.done_status, end.c.at >= now - _HOUR)
              .order_by(end.c.at.desc()).limit(SAMPLE).subquery())
    rows = (await conn.execute(select(newest.c.at, func.max(start.c.at)).join(
        start, and_(start.c.order_id == newest.c.order_id, start.c.status == spec.from_status))
        .group_by(newest.c.order_id, newest.c.at))).all()
    return percentiles([max((as_utc(a) - as_utc(b)).total_seconds() * 1000, 0.0) for a, b in rows if b is not None])


async def _order_aging(conn: AsyncConnection, now: datetime) -> dict[str, dict[str, int]]:
    """Open orders by status and time in that status (since their last change)."""
    bounds = [(now - timedelta(seconds=s), label) for s, label in AGE_BUCKETS]
    columns = [func.sum(case((orders.c.updated_at >= at, 1), else_=0)) for at, _ in bounds]
    rows = (await conn.execute(select(orders.c.status, func.count(), *columns)
                               .where(orders.c.status.in_(OPEN_ORDER_STATUSES)).group_by(orders.c.status))).all()
    out = {status: dict.fromkeys([label for _, label in AGE_BUCKETS] + ["gt_24h"], 0) for status in OPEN_ORDER_STATUSES}
    for status, total, *cumulative in rows:
        seen = 0
        for (_, label), upto in zip(bounds, cumulative):
            out[status][label] = int(upto or 0) - seen
            seen = int(upto or 0)
        out[status]["gt_24h"] = int(total) - seen
    return out


async def _refund_exceptions(conn: AsyncConnection, now: datetime) -> dict[str, Any]:
    """Returns whose refund failed (they need an operator), the newest 20 listed."""
    failed = returns.c.refund_status == "failed"
    total = (await conn.execute(select(func.count()).where(failed))).scalar_one()
    hour = (await conn.execute(select(func.count()).where(failed, returns.c.updated_at >= now - _HOUR))).scalar_one()
    rows = (await conn.execute(select(returns.c.rma_id, returns.c.order_id, returns.c.channel, returns.c.refund_reason,
                                      returns.c.updated_at).where(failed)
                               .order_by(returns.c.updated_at.desc()).limit(20))).all()
    return {"open": int(total), "last_hour": int(hour),
            "items": [{"rma_id": r.rma_id, "order_id": r.order_id, "channel": r.channel,
                       "reason": (r.refund_reason or "")[:200], "at": as_utc(r.updated_at)} for r in rows]}


async def _failures_by_channel(conn: AsyncConnection) -> dict[str, int]:
    """Open dead letters by the sales channel of the order (or return) they are about."""
    open_ = dead_letters.c.status == "open"  # neither replayed nor resolved
    out: dict[str, int] = {}
    for table, key in ((orders, orders.c.order_id), (returns, returns.c.rma_id)):
        rows = (await conn.execute(select(table.c.channel, func.count()).select_from(
            dead_letters.join(table, key == dead_letters.c.key)).where(open_).group_by(table.c.channel))).all()
        for channel, n in rows:
            out[channel] = out.get(channel, 0) + int(n)
    known = sum(out.values())
    total = (await conn.execute(select(func.count()).where(open_).select_from(dead_letters))).scalar_one()
    if total - known:
        out["unknown"] = int(total) - known
    return out


def _failures_by_backend(dead: dict[str, dict[str, int]]) -> dict[str, int]:
    """Open dead letters by the backend their flow calls (``none``: a flow inside the hub)."""
    out: dict[str, int] = {}
    for topic, counts in dead.items():
        spec = BY_TOPIC.get(topic)
        name = (spec.backend if spec else None) or "none"
        if counts["open"]:
            out[name] = out.get(name, 0) + counts["open"]
    return out


