"""The order process's part of the composition: the order service a role serves, and the
workers that carry orders on to the back office (``all`` and ``worker`` roles)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce_hub.context import WORK_TOPIC, Context
from commerce_hub.edi_role import edi_handlers
from commerce_hub.messaging_role import open_messaging
from commerce_hub.notifications_role import delivery_handlers
from commerce_hub.ops_role import open_alerts, worker_ports
from process_apis.catalog.reader import ReplicaReader
from process_apis.catalog.store import ReplicaStore
from process_apis.catalog.sync import ErpSync
from process_apis.inventory.stock import SafetyBuffer, StockBook
from process_apis.pricing.near import NearPricing
from process_apis.pricing.service import PricingService
from process_apis.observed import ObservedOrders, ObservedReturns, observed_handlers
from process_apis.inventory.sync import InventorySync
from process_apis.journeys.service import JourneyService
from process_apis.orders.backoffice import BackOffice
from process_apis.orders.flows import OrderFlows
from process_apis.orders.service import ChannelIntake, OrderService
from process_apis.orders.tracking import ShipmentTracker
from process_apis.reconcile.orders_check import ErpOrdersCheck
from process_apis.reconcile.service import ReconcileService
from process_apis.reconcile.stock_check import StockCheck
from process_apis.returns.events import ReturnEvents
from process_apis.returns.polled import ReceiptTracker
from process_apis.returns.receiving import ReturnReceiving
from process_apis.returns.routed import ShippedBy
from process_apis.returns.saga import SAGA_TOPIC, ReturnSaga, StepBudget
from process_apis.returns.schemas import ReturnPolicy
from process_apis.returns.service import ReturnService
from process_apis.storefront import levels as storefront_levels
from process_apis.storefront.drift import StorefrontDrift
from process_apis.storefront.pusher import StorefrontPusher
from process_apis.reconcile.storefront_check import StorefrontCheck
from shared.settings import Settings
from shared.idempotency import IdempotencyLedger
from system_apis.sandbox.runtime import Sandbox
from system_apis.channel.port import ChannelPlatformPort
from system_apis.wiring import SystemPorts
from system_apis.wms.fulfilment_routes import FulfilmentRoutes
from shared.bus import CatalogChanged, ChangeNotices
from system_apis.inbound import CATALOG_TOPIC

HOLD_NOTICE_LINGER_SECONDS = 0.05
"""Holds taken within 50 ms share one ``catalog.changed``: at most 20 a second per process."""


@dataclass
class OrderProcess:
    service: OrderService
    stock: StockBook
    returns: ReturnService | None = None
    """Return authorization and review (issue 5), on the same back-office reads."""
    journeys: JourneyService | None = None
    """Any order's or return's timeline, by any identifier it has had (issue 12)."""
    reconciliations: ReconcileService | None = None
    """Reconciliation runs with their checks (issue 11): the admin API starts and reads them."""
    erp: ReplicaReader | None = None
    """The ERP replica as price answers read it (issue 11): served whatever its age."""
    erp_sync: ErpSync | None = None
    near: NearPricing | None = None
    """What price answers hold near (``process_apis/pricing/near.py``); order capture drops the
    stock of the SKUs it holds."""
    holds: ChangeNotices | None = None
    """Holds taken (order capture) and given back (shipments) tell the catalogue topic, so the
    gateway's cached answers follow them (CONTRACT section 3: a stock change within 2 s)."""


async def order_process(ctx: Context, system: SystemPorts) -> OrderProcess:
    """Built once per role; the ``all`` role's workers share it with the API."""
    built = ctx.order_process
    if not isinstance(built, OrderProcess):
        engine = await ctx.database()
        erp, erp_sync = open_replica(ctx, engine, system.erp)
        backoffice = BackOffice(erp.strict(ctx.settings.erp_replica_max_age_seconds), ttl=0.0)
        ctx.bus.subscribe(CATALOG_TOPIC, backoffice.on_catalog_changed)
        stock = stock_book(ctx.settings, engine, system)
        ledger = IdempotencyLedger(engine, ttl=timedelta(seconds=ctx.settings.idempotency_key_retention_seconds))
        near = NearPricing(ctx.settings.near_cache_seconds)
        holds = ChangeNotices(ctx.bus, CATALOG_TOPIC, reason="stock-held", linger=HOLD_NOTICE_LINGER_SECONDS)
        ctx.stack.callback(holds.close)

        def held(skus: Sequence[str]) -> None:
            near.stock.drop(skus)
            holds.add(skus)

        built = OrderProcess(ObservedOrders(OrderService(engine, ledger, backoffice, stock, wake=ctx.wake, held=held),
                                            ctx.metrics), stock, near=near, holds=holds)
        built.returns = ObservedReturns(ReturnService(engine, ledger, backoffice, return_policy(ctx.settings),
                                                      wake=ctx.wake), ctx.metrics)
        built.journeys = JourneyService(engine)
        built.reconciliations = reconciliation(ctx, engine, system, stock)
        built.erp, built.erp_sync = erp, erp_sync
        ctx.order_process = built
    return built


def pricing_service(ctx: Context, process: OrderProcess) -> PricingService:
    """Price answers, reading the replica and the book through the near caches (dropped by the
    catalogue events this process hears; ``HUB_NEAR_CACHE_SECONDS`` bounds the rest)."""
    near = process.near
    erp, stock = process.erp, process.stock
    if near is not None and near.enabled and erp is not None:
        async def drop(payload: bytes) -> None:
            near.drop(msgspec.json.decode(payload, type=CatalogChanged))

        ctx.bus.subscribe(CATALOG_TOPIC, drop)
        erp, stock = near.records(erp), near.stock_of(stock)
    return PricingService(erp, stock, currencies=ctx.settings.currencies)


def open_replica(ctx: Context, engine, erp) -> tuple[ReplicaReader, ErpSync]:  # noqa: ANN001
    """The ERP replica's reader, and its full sync running on schedule until the role stops."""
    store = ReplicaStore(engine)

    async def drop_answers(skus: set[str]) -> None:
        for sku in sorted(skus):
            await ctx.bus.publish(CATALOG_TOPIC, CatalogChanged(sku=sku, reason="erp-applied"))

    sync = ErpSync(store, erp, interval=ctx.settings.erp_sync_interval_seconds, on_changed=drop_answers)
    task = asyncio.get_running_loop().create_task(sync.run())
    ctx.stack.callback(task.cancel)
    return ReplicaReader(store, erp), sync


async def open_workers(ctx: Context, system: SystemPorts, ports: dict) -> None:
    """Start this process's workers on every asynchronous flow."""
    engine = await ctx.database()
    process = await order_process(ctx, system)
    system = worker_ports(ctx, system)  # paused backends: their messages wait (issue 12)
    routes = system.fulfilment_routes()
    flows = OrderFlows(engine, system.erp, system.fulfilment, system.channels, process.stock,
                       wake=ctx.wake, metrics=ctx.metrics, routes=routes, released=process.holds.add)
    returned = ShippedBy(engine, routes) if routes.several else system.fulfilment  # to who shipped it
    track_fulfilment(ctx, engine, routes)
    if system.channels:  # a stock source removed or added back since the last start
        await storefront_levels.mark_sources_changed(engine, process.stock.sources)
    pusher = open_storefront_push(ctx, engine, system.channels, process.stock.sources)

    async def stock_applied(skus: list[str]) -> None:
        if pusher is not None:
            pusher.wake()
        await ctx.bus.publish(CATALOG_TOPIC, CatalogChanged(sku=None, skus=skus, reason="stock-applied"))

    handlers = {
        **flows.handlers(),
        **process.erp_sync.handlers(),
        **InventorySync(engine, process.stock, on_applied=stock_applied,
                        on_book_changed=storefront_levels.mark if pusher is not None else None).handlers(),
        "channel_order.received": ChannelIntake(process.service, engine).capture,
        **ReturnSaga(engine, system.erp, returned, system.payments,
                     channels=system.channels, wake=ctx.wake,
                     budget=StepBudget(seconds=ctx.settings.retry_budget_seconds,
                                       margin=ctx.settings.retry_max_delay_seconds)).handlers(),
        **ReturnReceiving(engine, returned).handlers(),
        **ReturnEvents(ctx.bus).handlers(),
        **await open_alerts(ctx),
        **await delivery_handlers(ctx),
        **await edi_handlers(ctx, process.service),
    }
    worker = await open_messaging(ctx, engine, observed_handlers(handlers, ctx.metrics, SAGA_TOPIC))

    async def on_work(_payload: bytes) -> None:
        worker.wake()

    ctx.bus.subscribe(WORK_TOPIC, on_work)
    ctx.wakers.append(worker.wake)
    process.reconciliations.schedule(ctx.settings.reconcile_interval_seconds)


def track_fulfilment(ctx: Context, engine: AsyncEngine, routes: FulfilmentRoutes) -> None:
    """Poll the fulfilment connections that send no events: their shipments
    (``orders/tracking.py``) and return receipts (``returns/polled.py``). Run with the workers
    (``all`` and ``worker`` roles; a split worker reaches them over RPC): every worker polls,
    the idempotency ledger queues what each finds once."""
    interval = ctx.settings.fulfilment_poll_seconds
    if not routes.several or interval <= 0:
        return
    ledger = IdempotencyLedger(engine, ttl=timedelta(seconds=ctx.settings.webhook_id_retention_seconds))
    pollers = [ShipmentTracker(engine, ledger, feeds, interval=interval, wake=ctx.wake)
               for feeds in [routes.feeds()] if feeds]
    pollers += [ReceiptTracker(engine, ledger, feeds, interval=interval, wake=ctx.wake)
                for feeds in [routes.receipt_feeds()] if feeds]
    for poller in pollers:
        task = asyncio.get_running_loop().create_task(poller.run())
        ctx.stack.callback(task.cancel)


def reconciliation(ctx: Context, engine: AsyncEngine, system: SystemPorts, stock: StockBook) -> ReconcileService:
    """The reconciliation checks (docs/reconciliation.md): ERP orders, stock, and the storefront's
    levels when a shop is configured."""
    s = ctx.settings
    service = ReconcileService(engine, retention=timedelta(seconds=s.reconcile_retention_seconds))
    stuck_after = timedelta(seconds=s.reconcile_stuck_after_seconds)
    service.register(ErpOrdersCheck(engine, system.erp, stuck_after=stuck_after, wake=ctx.wake))
    service.register(StockCheck(engine, stock, system.stock, on_changed=lambda sku:
                                ctx.bus.publish(CATALOG_TOPIC, CatalogChanged(sku=sku, reason="stock-reconciled"))))
    if system.channel is not None:
        service.register(StorefrontCheck(StorefrontDrift(engine, system.channel)))
    ctx.stack.push_async_callback(service.close)
    return service


def open_storefront_push(ctx: Context, engine: AsyncEngine, channels: Mapping[str, ChannelPlatformPort],
                         sources: Sequence[str] = ()) -> StorefrontPusher | None:
    """The storefront push (issue 11) when a channel platform is configured: started with the
    workers, toward the first channel-platform connection (docs/connections.md).

    The platform shows its channel's available-to-promise: its safety buffer
    (``HUB_SAFETY_BUFFER`` / ``HUB_SAFETY_BUFFER_BY_CHANNEL``) is held back, and only the configured
    stock ``sources``' levels are shown."""
    if not channels:
        return None
    channel, platform = next(iter(channels.items()))
    pusher = StorefrontPusher(engine, platform, safety_buffer=safety_buffer(ctx.settings).of(channel),
                              sources=sources)
    pusher.start()
    ctx.stack.push_async_callback(pusher.stop)
    ctx.wakers.append(pusher.wake)
    return pusher


async def follow_sandbox(ctx: Context, sandbox: Sandbox, process: OrderProcess) -> None:
    """One process with the sandbox: the sandbox's state lives in memory and starts from its
    seed at every start and reset, the stock book and the ERP replica live in the database.
    Read every SKU the book holds and the whole ERP again now and after every reset, then drop
    the cached answers; the shop starts empty, so every storefront level is pushed again."""
    stock, erp_sync = process.stock, process.erp_sync

    async def resync() -> None:
        await storefront_levels.forget_pushed(await ctx.database())  # the sandbox shop starts empty again
        await stock.resync()
        await erp_sync.full_sync(force=True)
        await ctx.bus.publish(CATALOG_TOPIC, CatalogChanged(sku=None, reason="sandbox-reset"))

    await storefront_levels.forget_pushed(await ctx.database())
    await stock.resync()
    await erp_sync.full_sync(force=True)
    sandbox.on_reset(resync)


def stock_book(settings: Settings, engine: AsyncEngine, system: SystemPorts) -> StockBook:
    """The stock sources by the name their hooks carry (``/hooks/wms``, ``/hooks/pos``)."""
    return StockBook(engine, system.stock,
                     timeout=settings.stock_source_timeout_seconds, stale_seconds=settings.stock_stale_seconds,
                     buffer=safety_buffer(settings),
                     on_change=storefront_levels.mark if system.channel is not None else None)


def safety_buffer(settings: Settings) -> SafetyBuffer:
    return SafetyBuffer(default=settings.safety_buffer, by_channel=dict(settings.safety_buffer_by_channel))


def return_policy(settings: Settings) -> ReturnPolicy:
    return ReturnPolicy(window_days=settings.return_window_days,
                        window_days_by_channel=dict(settings.return_window_days_by_channel),
                        review_threshold=settings.return_review_threshold,
                        dispositions=dict(settings.return_dispositions))
