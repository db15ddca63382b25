"""The composition root: what each role builds, in the lifespan, and how it is wired.

``all`` builds every layer in one process, calls between layers staying in
process. Any other role builds its own layer and reaches its neighbours by
the URL settings, through the same ports (``shared.rpc`` for process and
system, the edge's ``Upstream`` for experience). Everything built here is
closed by the context's ``AsyncExitStack``.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta

import httpx

from commerce_hub.context import Context
from commerce_hub.gateway_role import gateway_routes, open_keys, open_tokens, rate_limiter, response_cache
from experience_apis.registry import build_experiences
from gateway.edge import Edge
from gateway.route import READ_ONLY, Route
from gateway.policies.caching import CachePolicy
from gateway.policies.chain import Chain
from gateway.policies.cors import Cors
from gateway.policies.framing import Framing
from gateway.policies.ratelimit import Limits
from gateway.health import HealthApp
from gateway.identity import CredentialAuthenticator, Identity
from commerce_hub.edi_role import edi_service
from commerce_hub.notifications_role import notification_service
from commerce_hub.ops_role import export_inventory_lag, open_backend_reports
from commerce_hub.process_role import follow_sandbox, open_workers, order_process, pricing_service
from process_apis.edi.port import EdiPort
from process_apis.journeys.port import JourneyPort
from process_apis.notifications.port import NotificationPort
from process_apis.observed import ObservedPricing
from process_apis.orders.port import OrderPort
from process_apis.returns.port import ReturnPort
from process_apis.pricing.port import PricingPort
from process_apis.reconcile.port import ReconcilePort
from shared.resilience.circuits import CircuitPort, GuardCircuits
from shared.metrics import sample_process_every
from shared.resilience.observed import observe_guards
from shared.rpc import RpcApp, rpc_client
from shared.rpc_batch import RpcBatcher
from shared.settings import Settings
from system_apis.channel.hooks import PREFIX as CHANNEL_HOOKS
from system_apis.channel.hooks import ChannelHooks, sandbox_hook_paths
from system_apis.channel.polling import ChannelPoller, order_feeds
from system_apis.inbound import InboundHooks
from system_apis.aiohttp_transport import AiohttpTransport
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.connections import resolve_connections
from system_apis.erp_routing.build import route_erp
from system_apis.wiring import (
    BreakerConfig, SystemPorts, build_system_ports, close_circuits, protocol_of, remote_ports,
)
from shared.idempotency import IdempotencyLedger

PARTS: dict[str, frozenset[str]] = {role: frozenset(parts.split()) for role, parts in {
    "all": "sandbox hooks system process workers experiences gateway",
    "gateway": "experiences gateway",
    "experience": "process experiences serve-experiences",
    "process": "system process serve-process",
    "system": "hooks system serve-system",
    "worker": "system workers",
    "sandbox": "sandbox",
}.items()}
"""What each role builds: its parts, in the order ``build`` builds them. ``system`` is the backend
ports (over the connections, or over RPC in a split process or worker role), ``process`` the
process APIs (or RPC to them in a split experience role), ``serve-*`` the internal RPC or routes
a split role offers its neighbour."""


async def build(settings: Settings, role: str, stack: AsyncExitStack,
                adapters: dict[str, object] | None = None) -> tuple[Edge, object]:
    """``adapters`` (connection name -> adapter) stands in for any backend connection (tests)."""
    ctx = Context(settings=settings, role=role, stack=stack)
    parts = PARTS[role]
    await ctx.open_redis()
    edge_ref: list[Edge] = []
    sandbox_app = None
    if settings.sandbox and "sandbox" in parts:
        sandbox_app = _sandbox(ctx, edge_ref)
        ctx.routes.append(Route(prefix="/sandbox/", app=sandbox_app, name="sandbox", authenticated=False))
    if "hooks" in parts:
        engine = await ctx.database()
        ids = IdempotencyLedger(engine, ttl=timedelta(seconds=settings.webhook_id_retention_seconds))
        hooks = InboundHooks(_hook_secrets(settings), ctx.bus, engine, ids, wake=ctx.wake)
        ctx.routes.append(Route(prefix="/hooks/", app=hooks, name="hooks", authenticated=False))
    system = await _system(ctx, sandbox_app, adapters) if "system" in parts else None
    if "hooks" in parts and system is not None:
        channels = ChannelHooks(resolve_connections(settings), engine, ids, channels=system.channels, wake=ctx.wake)
        ctx.routes.append(Route(prefix=CHANNEL_HOOKS, app=channels, name="hooks", authenticated=False))
        if settings.channel_poll_seconds > 0:
            _poll_channels(ctx, system, ids)
    if system is not None and system.guards:
        await open_backend_reports(ctx, system.guards, system.probes)
    ctx.circuits = _circuits(ctx, system)
    if "serve-system" in parts:
        ctx.routes.append(Route(prefix="/rpc/", app=RpcApp({
            **_served(system), "circuits": (CircuitPort, ctx.circuits)}), name="rpc", authenticated=False))
    ports = await _process(ctx, system) if "process" in parts else {}
    if sandbox_app is not None and "system" in parts:
        await follow_sandbox(ctx, sandbox_app.state["sandbox"], await order_process(ctx, system))
    if "serve-process" in parts:
        ctx.routes.append(Route(prefix="/rpc/", app=RpcApp({"pricing": (PricingPort, ports["pricing"]),
                                                            "orders": (OrderPort, ports["orders"]),
                                                            "returns": (ReturnPort, ports["returns"]),
                                                            "journeys": (JourneyPort, ports["journeys"]),
                                                            "reconciliations": (ReconcilePort,
                                                                                ports["reconciliations"]),
                                                            "webhooks": (NotificationPort, ports["webhooks"]),
                                                            "edi": (EdiPort, ports["edi"])}),
                                name="rpc", authenticated=False))
    if "workers" in parts and (role == "worker" or settings.worker_concurrency > 0):
        await open_workers(ctx, system, ports)
    experiences = {}
    if "experiences" in parts:
        experiences = build_experiences(ports, settings.internal_secret)
    if "serve-experiences" in parts:
        ctx.routes += [Route(prefix=_prefix(k), app=a, name=k, authenticated=False) for k, a in experiences.items()]
    authenticator, cache = _NoAuth(), None
    if "gateway" in parts:
        keys = await open_keys(ctx)
        tokens = await open_tokens(ctx, keys)
        authenticator = CredentialAuthenticator(keys, tokens.verifier, tokens.guard)
        cache = response_cache(ctx)
        ctx.routes += gateway_routes(ctx, experiences, keys)
    if ctx.engine is not None:  # the figure every scraped role answers alike, from the database
        export_inventory_lag(ctx, ctx.engine)
    health = HealthApp(ctx.checks, ctx.metrics)
    ctx.routes += [Route(prefix="/health/", app=health, name="health", authenticated=False, methods=READ_ONLY),
                   Route(prefix="/metrics", app=health, name="metrics", methods=READ_ONLY,
                         authenticated="gateway" in parts)]
    if ctx.metrics.multiprocess:  # every worker's process figures, fresh for whichever worker is scraped
        sampler = asyncio.get_running_loop().create_task(sample_process_every(ctx.metrics, 10.0))
        stack.callback(sampler.cancel)
    chain = Chain(Cors(settings.cors_origins) if "gateway" in parts else None, Framing(settings.max_body_bytes),
                  Identity(authenticator), Limits(rate_limiter(ctx)),
                  CachePolicy(cache, ctx.metrics) if cache is not None else None)  # ordered by chain.ORDER
    edge = Edge(ctx.routes, chain, ctx.metrics, internal_secret=settings.internal_secret,
                max_body_bytes=settings.max_body_bytes, body_timeout=settings.http_body_timeout_seconds)
    edge_ref.append(edge)
    return edge, ctx.bus


def _prefix(key: str) -> str:
    api, version = key.split("-")
    return f"/{version}/{api}/"


def _sandbox(ctx: Context, edge_ref: list[Edge]):  # noqa: ANN202
    """The sandbox backends; one process: their events reach this hub's /hooks in process."""
    settings = ctx.settings
    secrets = _hook_secrets(settings)
    paths = {name: f"/hooks/{name}" for name in secrets}
    for backend, (path, secret) in sandbox_hook_paths(resolve_connections(settings), secrets).items():
        paths[backend], secrets[backend] = path, secret
    if ctx.role == "all":
        async def to_edge(scope: dict, receive, send) -> None:  # noqa: ANN001
            await edge_ref[0](scope, receive, send)

        urls = {name: f"http://hub{path}" for name, path in paths.items()}
        config = SandboxConfig(event_urls=urls, webhook_secrets=secrets,
                               autoship_seconds=settings.sandbox_autoship_seconds)
        return create_sandbox_app(config, transport=httpx.ASGITransport(app=to_edge))
    base = (settings.sandbox_events_url or "").rstrip("/")
    urls = {name: f"{base}{path}" for name, path in paths.items()} if base else {}
    return create_sandbox_app(SandboxConfig(event_urls=urls, webhook_secrets=secrets,
                                            autoship_seconds=settings.sandbox_autoship_seconds))


def _poll_channels(ctx: Context, system: SystemPorts, ledger: IdempotencyLedger) -> None:
    """Orders in from the channels that send no webhooks (``system_apis/channel/polling.py``)."""
    feeds = order_feeds(resolve_connections(ctx.settings), system.channels)
    if feeds and ctx.engine is not None:
        poller = ChannelPoller(feeds, ctx.engine, ledger, interval=ctx.settings.channel_poll_seconds, wake=ctx.wake)
        task = asyncio.get_running_loop().create_task(poller.run())
        ctx.stack.callback(task.cancel)


def _circuits(ctx: Context, system: SystemPorts | None) -> object | None:
    """The breakers a dead-letter replay reports: the role's own, else the system role's over
    RPC (a gateway with HUB_SYSTEM_URL), else None (``unknown``)."""
    if system is not None and system.guards:
        return GuardCircuits(system.guards)
    if ctx.role == "gateway" and ctx.settings.system_url:
        return rpc_client(CircuitPort, "circuits", ctx.client(ctx.settings.system_url, "HUB_SYSTEM_URL"))
    return None


def _hook_secrets(settings: Settings) -> dict[str, str]:
    return {"wms": settings.wms_webhook_secret, "pos": settings.pos_webhook_secret, "erp": settings.erp_webhook_secret,
            "shopify": settings.shopify_webhook_secret}


async def _system(ctx: Context, sandbox_app, adapters: dict[str, object] | None) -> SystemPorts:  # noqa: ANN001
    """The backend ports from the connection table; a split process or worker role reaches the
    system role's over RPC, slot by slot."""
    settings = ctx.settings
    if ctx.role in ("process", "worker"):
        # the worker's calls travel in batches (shared.rpc_batch), on aiohttp's pool; a process role
        # answers customers: one by one
        worker = ctx.role == "worker"
        client = ctx.client(settings.system_url, "HUB_SYSTEM_URL", transport=AiohttpTransport() if worker else None)
        batcher = RpcBatcher(client) if worker else None
        return remote_ports(resolve_connections(settings),
                            lambda port, name: rpc_client(port, name, client, batcher=batcher))
    transport, sandbox_base = None, None
    if sandbox_app is not None:
        transport, sandbox_base = httpx.ASGITransport(app=sandbox_app), "http://sandbox"
    elif settings.sandbox:
        sandbox_base = str(ctx.client(settings.sandbox_url, "HUB_SANDBOX_URL").base_url)
    ports = await build_system_ports(ctx.stack, resolve_connections(settings, sandbox_base),
                                     timeout=settings.backend_timeout_seconds, transport=transport,
                                     breaker=BreakerConfig(failure_threshold=settings.breaker_failure_threshold,
                                                           open_seconds=settings.breaker_open_seconds),
                                     adapters=adapters)
    ports = await route_erp(ctx.stack, ports, await ctx.database(), settings.erp_routing, ctx.bus.subscribe)
    if sandbox_app is not None:  # one process: a cleared sandbox fault closes that circuit at once
        sandbox_app.state["sandbox"].faults.on_healed(
            lambda backend: close_circuits(ports.guards, [backend], "sandbox faults cleared"))
    observe_guards(ports.guards.values(), ctx.metrics)
    return ports


def _served(system: SystemPorts) -> dict[str, tuple[type, object]]:
    """The system role's RPC services: every port slot with its Protocol (a polled fulfilment
    connection's with its ``shipments`` and ``received_returns``, which a split worker polls)."""
    return {name: (protocol_of(name.split(".")[0], port), port) for name, port in system.slots().items()}


async def _process(ctx: Context, system: SystemPorts | None) -> dict:
    if ctx.role == "experience":
        client = ctx.client(ctx.settings.process_url, "HUB_PROCESS_URL")
        return {"pricing": rpc_client(PricingPort, "pricing", client), "orders": rpc_client(OrderPort, "orders", client),
                "returns": rpc_client(ReturnPort, "returns", client),
                "webhooks": rpc_client(NotificationPort, "webhooks", client),
                "edi": rpc_client(EdiPort, "edi", client)}
    process = await order_process(ctx, system)
    return {"pricing": ObservedPricing(pricing_service(ctx, process)),
            "orders": process.service, "returns": process.returns, "journeys": process.journeys,
            "reconciliations": process.reconciliations,
            "webhooks": await notification_service(ctx), "edi": await edi_service(ctx, process.service)}


class _NoAuth:
    async def authenticate(self, scope: dict, accepts: frozenset[str] = frozenset()):  # noqa: ANN201
        from shared.errors import Unauthorized

        raise Unauthorized("This role serves no authenticated routes.")
