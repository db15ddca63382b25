"""Issue 12: figures of /admin/v1/flows measured from the database, on SQLite and PostgreSQL.
Inventory propagation lag, from a stock report's receipt to checkout seeing it (and to the
storefront when a provider is wired), with the ``inventory_lag`` alert and its gauge; step
latency of flows without an order-status pair; the partner webhooks flow."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import msgspec
import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from process_apis.inventory.stock import StockBook
from process_apis.inventory.sync import STOCK_TOPIC, InventorySync
from process_apis.ops.alert_store import AlertStore
from process_apis.ops.alerts import AlertEvaluator, Thresholds
from process_apis.ops.flows import FlowsService
from process_apis.ops.lag import percentiles
from process_apis.ops.lag_gauge import NAME as LAG, InventoryLagGauge
from shared.db.engine import create_engine, dispose
from shared.db.tables import alert_events, alert_states, outbox, stock_levels, stock_reservations
from shared.messaging import Message
from shared.metrics import Registry
from shared.models import StockChanged, StockLevel
from tests.gateway.support import database_url  # noqa: F401 - the fixture, SQLite and PostgreSQL


class Source:
    """A stock source knowing one SKU: what the book loads on first use."""

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        return [StockLevel(sku="SKU-LOADED", location="DC-EAST", on_hand=9, available=9, sequence=1)
                for s in skus if s == "SKU-LOADED"]


@pytest.fixture
async def engine(database_url: str):  # noqa: ANN201, F811
    engine = create_engine(database_url)
    async with engine.begin() as conn:  # the session's PostgreSQL is shared by the tests
        for table in (stock_levels, stock_reservations, alert_states, alert_events, outbox):
            await conn.execute(delete(table))
    yield engine
    await dispose(engine)


def report(sku: str, sequence: int, *, queued: datetime | None = None, location: str = "DC-EAST") -> Message:
    change = StockChanged(sku=sku, location=location, on_hand=5, available=5, sequence=sequence)
    return Message(id=f"{sku}-{sequence}", topic=STOCK_TOPIC, key=sku, payload=msgspec.json.encode(change),
                   attempts=1, created_at=queued or datetime.now(UTC))


async def lag_of(engine, storefront=None) -> dict:  # noqa: ANN001
    return (await FlowsService(engine, cache_seconds=0, storefront_lag=storefront).view()).business["inventory_lag"]


async def test_a_report_is_measured_from_its_receipt_to_checkout_after_its_cache_is_dropped(engine) -> None:  # noqa: ANN001
    dropped: list[str] = []

    async def drop(skus: list[str]) -> None:  # the cache invalidation, slow: the lag includes it
        await asyncio.sleep(0.25)
        dropped.extend(skus)

    sync = InventorySync(engine, StockBook(engine, {"wms": Source()}), on_applied=drop)
    queued = datetime.now(UTC) - timedelta(seconds=1)
    await sync.apply(report("SKU-1", 1, queued=queued))
    assert dropped == ["SKU-1"]
    lag = await lag_of(engine)
    figure = lag["to_checkout_ms"]
    assert figure["samples"] == 1 and 1250 <= figure["p50"] == figure["p95"] < 10_000
    assert lag["status"] == {"to_checkout": "measured", "to_storefront": "not_measured"}
    assert lag["to_storefront_ms"] is None
    flows = {f.flow: f for f in (await FlowsService(engine, cache_seconds=0).view()).items}
    assert flows["inventory_sync"].p95_ms == figure["p95"] and flows["storefront_push"].p95_ms is None


async def test_only_reports_count_and_a_newer_report_replaces_the_sample(engine) -> None:  # noqa: ANN001
    book = StockBook(engine, {"wms": Source()})
    sync = InventorySync(engine, book)
    await book.ensure_loaded(["SKU-LOADED"])  # loaded from the backend: no receipt, no sample
    assert (await lag_of(engine))["status"]["to_checkout"] == "no_samples"
    await sync.apply(report("SKU-2", 5, queued=datetime.now(UTC) - timedelta(seconds=30)))
    await sync.apply(report("SKU-2", 4, queued=datetime.now(UTC) - timedelta(seconds=60)))  # older: ignored
    assert (await lag_of(engine))["to_checkout_ms"]["p95"] >= 30_000
    await sync.apply(report("SKU-2", 6))
    assert (await lag_of(engine))["to_checkout_ms"]["p95"] < 5_000
    async with engine.connect() as conn:
        rows = (await conn.execute(select(stock_levels.c.sku, stock_levels.c.received_at, stock_levels.c.visible_at)
                                   .order_by(stock_levels.c.sku))).all()
    assert [(r.sku, r.received_at is None, r.visible_at is None) for r in rows] == [
        ("SKU-2", False, False), ("SKU-LOADED", True, True)]


async def test_a_report_made_visible_over_an_hour_ago_is_no_sample(engine) -> None:  # noqa: ANN001
    await InventorySync(engine, StockBook(engine, {})).apply(report("SKU-3", 1))
    async with engine.begin() as conn:
        await conn.execute(stock_levels.update().values(visible_at=datetime.now(UTC) - timedelta(hours=2)))
    assert (await lag_of(engine))["to_checkout_ms"] is None


async def test_a_slow_apply_fires_the_inventory_lag_alert_and_a_prompt_one_resolves_it(engine) -> None:  # noqa: ANN001
    slow = True

    async def drop(skus: list[str]) -> None:  # an injected slow apply: the cache drop takes 0.3 s
        if slow:
            await asyncio.sleep(0.3)

    async def no_backends() -> list:
        return []

    sync = InventorySync(engine, StockBook(engine, {}), on_applied=drop)
    store, metrics = AlertStore(engine, notify=False), Registry(multiproc_dir=None)
    lag = InventoryLagGauge(engine, None, cache_seconds=0)  # as every role wires it (ops_role)
    metrics.before_scrape.append(lag.refresh)
    metrics.live.append(lag.collect)
    evaluator = AlertEvaluator(store, FlowsService(engine, cache_seconds=0), no_backends,
                               Thresholds(inventory_lag_p95_seconds=0.2))
    await sync.apply(report("SKU-4", 1))
    await evaluator.evaluate()
    alerts = {a.rule: a for a in (await store.list()).items}
    assert alerts["inventory_lag"].state == "firing"
    assert "checkout p95" in alerts["inventory_lag"].detail and "limit 0.2 s" in alerts["inventory_lag"].detail
    [gauge] = [line for line in (await metrics.scrape()).splitlines() if line.startswith(f"{LAG}{{")]
    assert gauge.startswith(f'{LAG}{{to="checkout"}} ') and 0.3 <= float(gauge.split()[-1]) < 10
    slow = False
    await sync.apply(report("SKU-4", 2))
    await evaluator.evaluate()
    alerts = {a.rule: a for a in (await store.list()).items}
    assert alerts["inventory_lag"].state == "resolved"
    [gauge] = [line for line in (await metrics.scrape()).splitlines() if line.startswith(f"{LAG}{{")]
    assert float(gauge.split()[-1]) < 0.3  # the figure of now, not the last one an evaluation saw


async def test_a_storefront_provider_is_measured_and_alerted_on(engine) -> None:  # noqa: ANN001
    asked: list[datetime] = []

    async def pushed(conn: AsyncConnection, since: datetime) -> Sequence[float]:
        asked.append(since)
        return [120.0, 80.0, 4000.0]

    lag = await lag_of(engine, pushed)
    assert lag["to_storefront_ms"] == {"p50": 120.0, "p95": 4000.0, "samples": 3}
    assert lag["status"] == {"to_checkout": "no_samples", "to_storefront": "measured"}
    assert datetime.now(UTC) - timedelta(hours=1, minutes=1) < asked[0] < datetime.now(UTC) - timedelta(minutes=59)

    async def no_backends() -> list:
        return []

    store = AlertStore(engine, notify=False)
    await AlertEvaluator(store, FlowsService(engine, cache_seconds=0, storefront_lag=pushed), no_backends,
                         Thresholds()).evaluate()
    alerts = {a.rule: a for a in (await store.list()).items}
    assert alerts["inventory_lag"].state == "firing" and "storefront p95 4000 ms" in alerts["inventory_lag"].detail
    flows = {f.flow: f for f in (await FlowsService(engine, cache_seconds=0, storefront_lag=pushed).view()).items}
    assert (flows["storefront_push"].p50_ms, flows["storefront_push"].p95_ms) == (120.0, 4000.0)


def test_percentiles_are_nearest_rank() -> None:
    assert percentiles([]) == (None, None)
    assert percentiles([5.0]) == (5.0, 5.0)
    assert percentiles([float(n) for n in range(100, 0, -1)]) == (50.0, 95.0)


async def test_a_flow_without_a_status_pair_reports_its_handlers_run_time(engine) -> None:  # noqa: ANN001
    # issue 12: p50/p95 step latency for every flow the journey records, not only order-status pairs
    from sqlalchemy import insert

    from shared.db.tables import journey_steps

    now = datetime.now(UTC)
    rows = [("done", 10.0, now), ("done", 20.0, now), ("done", 30.0, now), ("retried", 900.0, now),
            ("done", 5000.0, now - timedelta(hours=2))]
    async with engine.begin() as conn:
        await conn.execute(delete(journey_steps).where(journey_steps.c.step == "channel.fulfil"))
        for outcome, latency, at in rows:
            await conn.execute(insert(journey_steps).values(
                subject="ord_lag", at=at, layer="system", step="channel.fulfil", outcome=outcome, attempts=1,
                backend="shopify", latency_ms=latency, schema_version=1, message_id="m", detail=None))
    flows = {f.flow: f for f in (await FlowsService(engine, cache_seconds=0).view()).items}
    assert (flows["channel_fulfilment"].p50_ms, flows["channel_fulfilment"].p95_ms) == (20.0, 30.0)
    async with engine.begin() as conn:
        await conn.execute(delete(journey_steps).where(journey_steps.c.subject == "ord_lag"))


async def test_partner_webhooks_count_deliveries_and_time_event_to_delivery(engine) -> None:  # noqa: ANN001
    from sqlalchemy import insert

    from shared.db.tables import webhook_deliveries

    now = datetime.now(UTC)
    made = [(now - timedelta(milliseconds=ms), now) for ms in (100, 200, 300)]
    made += [(now - timedelta(hours=3), now - timedelta(hours=2)), (now, None)]  # an old one, a pending one
    async with engine.begin() as conn:
        await conn.execute(delete(webhook_deliveries))
        for n, (created, delivered) in enumerate(made):
            await conn.execute(insert(webhook_deliveries).values(
                webhook_id=f"wh_lag_{n}", subscription_id="sub_lag", event_key=f"e{n}", type="order.updated",
                lane="l", body="{}", status="delivered" if delivered else "pending", attempts=1,
                created_at=created, delivered_at=delivered))
    flows = {f.flow: f for f in (await FlowsService(engine, cache_seconds=0).view()).items}
    hooks = flows["partner_webhooks"]
    assert hooks.throughput == {"5m": 3, "1h": 3} and (hooks.p50_ms, hooks.p95_ms) == (200.0, 300.0)
    async with engine.begin() as conn:
        await conn.execute(delete(webhook_deliveries))
