"""The operations part of the composition (issue 12): backend reports, pauses, alerts, and
what the admin API's operations routes read.

    guards held here (all, system)  -> report them to ``backend_reports`` every HUB_OPS_REPORT_SECONDS;
                                       probe every connection every HUB_CONNECTION_PROBE_SECONDS (the
                                       results travel with the reports)
    workers here (all, worker)      -> ports wrapped by ``pausable``; alert rules evaluated every
                                       HUB_OPS_ALERT_INTERVAL_SECONDS; the ``ops.alert`` webhook sender
    admin API here (all, gateway)   -> ``OpsAdmin`` (flows, backends, pauses, alerts, connections);
                                       the flows view's figures on /metrics (``hub_flow_*``)
    a database here (all but experience, sandbox) -> ``hub_inventory_lag_p95_seconds`` on /metrics
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from commerce_hub.context import Context
from gateway.admin.migration import MigrationAdmin
from gateway.admin.ops import ConnectionFacts, OpsAdmin
from process_apis.ops.alert_store import AlertStore
from process_apis.ops.alerts import AlertEvaluator, AlertWebhook, Thresholds
from process_apis.ops.flow_gauges import FlowGauges
from process_apis.ops.flows import FlowsService
from process_apis.ops.lag_gauge import InventoryLagGauge
from process_apis.storefront.drift import lag_ms as storefront_lag_ms
from shared.ops.backends import BackendBoard, BackendReports
from shared.ops.erp_migration import PRIMARY_TOPIC, MigrationBook, PrimarySwitched
from shared.ops.pauses import PauseBook, pausable
from shared.resilience import Guard
from shared.settings import Settings
from system_apis.connections import Connection, resolve_connections
from system_apis.probing import Probe, ProbeScheduler
from system_apis.wiring import SystemPorts



@dataclass
class OpsParts:
    reports: BackendReports
    pauses: PauseBook
    flows: FlowsService
    prober: ProbeScheduler | None = None
    """The connections' health probes, where the adapters are (all, system) and probing is on."""


def ops_parts(ctx: Context, engine: AsyncEngine, guards: dict[str, Guard] | None = None) -> OpsParts:
    """Built once per role (the guards, when any, are given by the first caller: the system part)."""
    if ctx.ops is None:
        s = ctx.settings
        reports = BackendReports(engine, guards, period=s.ops_report_seconds)
        ctx.ops = OpsParts(reports=reports, flows=FlowsService(engine, storefront_lag=storefront_lag_ms),
                           pauses=PauseBook(engine, ctx.bus, recheck=s.ops_pause_recheck_seconds, wake=ctx.wake))
    return ctx.ops


async def open_backend_reports(ctx: Context, guards: dict[str, Guard], probes: dict[str, Probe]) -> None:
    """Report the guards, and the connections' last probes with them."""
    s = ctx.settings
    parts = ops_parts(ctx, await ctx.database(), guards)
    parts.reports.start()
    ctx.stack.push_async_callback(parts.reports.stop)
    if s.connection_probe_seconds > 0 and probes:
        parts.prober = ProbeScheduler(probes, interval=s.connection_probe_seconds,
                                      deadline=s.connection_probe_timeout_seconds)
        parts.reports.attach_probes(parts.prober.results)
        parts.prober.start()
        ctx.stack.push_async_callback(parts.prober.stop)


def worker_ports(ctx: Context, system: SystemPorts) -> SystemPorts:
    """The system ports as the workers use them: each call waits while its connection is paused."""
    parts = ops_parts(ctx, ctx.engine)  # type: ignore[arg-type] - open_workers opened it
    return system.wrapped(lambda port, backend: pausable(port, backend, parts.pauses))


async def open_alerts(ctx: Context) -> dict:
    """Start the alert evaluation; the ``ops.alert`` handler when an operator webhook is set."""
    s, engine = ctx.settings, await ctx.database()
    parts = ops_parts(ctx, engine)
    store = AlertStore(engine, notify=bool(s.alert_webhook_url), wake=ctx.wake)
    evaluator = AlertEvaluator(store, parts.flows, board(ctx, parts).views, thresholds(s))
    evaluator.start(s.ops_alert_interval_seconds)
    ctx.stack.push_async_callback(evaluator.stop)
    if not s.alert_webhook_url or not s.alert_webhook_secret:
        return {}
    http = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    ctx.stack.push_async_callback(http.aclose)
    return AlertWebhook(http, s.alert_webhook_url, s.alert_webhook_secret).handlers()


def export_inventory_lag(ctx: Context, engine: AsyncEngine) -> None:
    """``hub_inventory_lag_p95_seconds`` on this role's /metrics, read from the database per scrape."""
    gauge = InventoryLagGauge(engine, storefront_lag_ms)
    ctx.metrics.before_scrape.append(gauge.refresh)
    ctx.metrics.live.append(gauge.collect)


def ops_admin(ctx: Context, engine: AsyncEngine) -> OpsAdmin:
    """The admin API's operations part; its flows view is also scraped (``hub_flow_*`` gauges)."""
    parts = ops_parts(ctx, engine)
    gauges = FlowGauges(parts.flows)
    ctx.metrics.before_scrape.append(gauges.refresh)
    ctx.metrics.live.append(gauges.collect)
    return OpsAdmin(flows=parts.flows, backends=board(ctx, parts), pauses=parts.pauses,
                    alerts=AlertStore(engine, notify=bool(ctx.settings.alert_webhook_url), wake=ctx.wake),
                    connections=connection_facts(ctx.settings), migration=migration_admin(ctx, engine),
                    probing=ctx.settings.connection_probe_seconds > 0, prober=parts.prober)


def migration_admin(ctx: Context, engine: AsyncEngine) -> MigrationAdmin | None:
    """The ERP migration's admin part when a connection has ``erp_role = "secondary"``; a switch
    of the primary is announced on the bus."""
    s = ctx.settings
    roles = {c.serves.erp_role: c.name for c in resolve_connections(s, s.sandbox_url)}
    if "secondary" not in roles:
        return None

    async def announce(connection: str) -> None:
        await ctx.bus.publish(PRIMARY_TOPIC, PrimarySwitched(connection))

    return MigrationAdmin(book=MigrationBook(engine, samples=s.erp_routing.samples), primary=roles["primary"],
                          secondary=roles["secondary"], mode=s.erp_routing.mode, announce=announce)


def board(ctx: Context, parts: OpsParts) -> BackendBoard:
    return BackendBoard(parts.reports, parts.pauses, [c.name for c in connection_facts(ctx.settings)])


def thresholds(s: Settings) -> Thresholds:
    return Thresholds(oldest_pending_seconds=s.alert_oldest_pending_seconds,
                      dead_letters_growth=s.alert_dead_letters_growth,
                      circuit_open_seconds=s.alert_circuit_open_seconds,
                      inventory_lag_p95_seconds=s.alert_inventory_lag_p95_seconds,
                      refund_failures=s.alert_refund_failures)


def connection_facts(s: Settings) -> list[ConnectionFacts]:
    """Each configured connection, its base URL stripped of credentials and query (never a secret)."""
    return [ConnectionFacts(name=c.name, kind=c.kind, base_url=safe_url(c.base_url), roles=list(c.roles),
                            serves=serving(c), options=c.options) for c in resolve_connections(s, s.sandbox_url)]


def serving(conn: Connection) -> list[str]:
    found = [f"erp:{conn.serves.erp_role}"] if conn.serves.erp_role else []
    found += [f"channel:{conn.serves.channel}"] if conn.serves.channel else []
    found += [f"locations:{prefix}" for prefix in conn.serves.locations]
    return found + [role for role in conn.roles if role in ("fulfilment", "payments")]


def safe_url(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
