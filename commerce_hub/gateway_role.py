"""The gateway's part of the composition: keys, limits, cache, and its routes."""

from __future__ import annotations

import httpx
import msgspec
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.app import create_admin_app
from gateway.console import ConsoleApp
from shared.messaging import DeadLetterService
from experience_apis.edge_needs import edge_needs
from gateway.route import READ_ONLY, Route
from gateway.keys.repository import KeyRepository
from gateway.keys.service import KeyService
from gateway.landing import LandingApp
from gateway.plans.book import PlanBook
from gateway.policies.cache import MemoryStore, ResponseCache
from gateway.policies.cache_redis import RedisStore
from gateway.policies.ratelimit import LocalRateLimiter, RateLimiter
from gateway.policies.ratelimit_redis import RedisRateLimiter
from gateway.portal import PortalApp
from gateway.portal.sandbox_keys import SandboxKeys
from gateway.tokens.oauth import JWKS_PATH, TOKEN_PATH
from gateway.tokens.wiring import TokenStack, build_token_stack
from gateway.upstream import Upstream
from commerce_hub.context import Context
from commerce_hub.ops_role import ops_admin
from shared.bus import CatalogChanged
from shared.near_cache import DropAgain
from system_apis.inbound import CATALOG_TOPIC
from process_apis.journeys.port import JourneyPort
from process_apis.ops.catalog import FLOW_TOPICS
from process_apis.reconcile.port import ReconcilePort
from process_apis.returns.port import ReturnPort
from shared.rpc import rpc_client


KEYS_TOPIC = "keys.changed"


class KeysChanged(msgspec.Struct):
    """A key was revoked or rotated somewhere: drop cached look-ups."""


async def open_keys(ctx: Context) -> KeyService:
    settings = ctx.settings
    engine = await ctx.database()
    ctx.book = book = PlanBook(engine, settings.plans, ctx.bus)
    await book.start()
    ctx.stack.push_async_callback(book.stop)
    async def announce() -> None:
        await ctx.bus.publish(KEYS_TOPIC, KeysChanged())

    keys = KeyService(KeyRepository(engine), lambda: set(book.current()), settings.default_plan, announce=announce)

    async def on_keys_changed(_payload: bytes) -> None:
        keys.forget()

    ctx.bus.subscribe(KEYS_TOPIC, on_keys_changed)
    if settings.bootstrap_admin_key:
        await keys.ensure_bootstrap_admin(settings.bootstrap_admin_key)
    return keys


def engine_of(ctx: Context) -> AsyncEngine:
    if ctx.engine is None:
        raise RuntimeError("open_keys() opens the gateway's engine first")
    return ctx.engine


async def open_tokens(ctx: Context, keys: KeyService) -> TokenStack:
    """Hub-signed OAuth tokens and identity-provider JWTs; mounts /oauth/token and the JWKS."""
    http = httpx.AsyncClient(timeout=httpx.Timeout(5.0))  # the identity provider's JWKS only
    ctx.stack.push_async_callback(http.aclose)
    tokens = await build_token_stack(ctx.settings, engine_of(ctx), keys, http)
    ctx.routes += [
        Route(prefix=TOKEN_PATH, app=tokens.oauth_app, name="oauth", authenticated=False),
        Route(prefix=JWKS_PATH, app=tokens.oauth_app, name="jwks", authenticated=False),
    ]
    return tokens


def response_cache(ctx: Context) -> ResponseCache:
    store = MemoryStore()
    if ctx.redis is not None:
        store = RedisStore(ctx.redis, trust_local=ctx.bus_connected)
    cache = ResponseCache(store, ttl=ctx.settings.cache_ttl_seconds, stale=ctx.settings.cache_stale_seconds)

    near = ctx.settings.near_cache_seconds  # process_apis/pricing/near.py: answers may lag that much
    again = DropAgain(near + 0.25 if near > 0 else 0.0)
    ctx.stack.callback(again.cancel)

    async def drop(event: CatalogChanged) -> None:
        if event.reason == "purge":
            await cache.purge(event.sku)
        elif event.skus:
            await cache.invalidate_many(event.skus)
        else:
            await cache.invalidate(event.sku)

    async def on_change(payload: bytes) -> None:
        event = msgspec.json.decode(payload, type=CatalogChanged)
        await drop(event)
        again.after(lambda: drop(event))

    ctx.bus.subscribe(CATALOG_TOPIC, on_change)
    return cache


def rate_limiter(ctx: Context) -> RateLimiter:
    plans = ctx.book.current if ctx.book else (lambda: ctx.settings.plans)
    if ctx.redis is not None:
        return RedisRateLimiter(ctx.redis, plans, ctx.metrics)
    return LocalRateLimiter(plans)


def process_port(ctx: Context, name: str, port: type) -> object | None:
    """A process service the admin API uses (``returns``, ``journeys``): the role's own (``all``),
    else over RPC to ``HUB_PROCESS_URL``; None (no such routes) when the gateway knows no process role."""
    built = getattr(ctx.order_process, name, None)
    if built is not None:
        return built
    if ctx.settings.process_url:
        return rpc_client(port, name, ctx.client(ctx.settings.process_url, "HUB_PROCESS_URL"))
    return None


def gateway_routes(ctx: Context, experiences: dict, keys: KeyService) -> list[Route]:
    settings = ctx.settings
    admin = create_admin_app(keys, ctx.book, ctx.bus, settings.internal_secret,
                             dead_letters=DeadLetterService(engine_of(ctx), wake=ctx.wake, circuits=ctx.circuits,
                                                            flows=FLOW_TOPICS),
                             returns=process_port(ctx, "returns", ReturnPort),
                             journeys=process_port(ctx, "journeys", JourneyPort), ops=ops_admin(ctx, engine_of(ctx)),
                             reconciliations=process_port(ctx, "reconciliations", ReconcilePort))
    # Self-service keys only in the sandbox: in production the path is 404 and the portal has no form.
    sandbox_keys = (SandboxKeys(keys, settings.sandbox_keys_per_source, settings.trusted_proxies)
                    if settings.sandbox else None)
    portal = PortalApp(experiences, admin, plans=settings.plans, sandbox_keys=sandbox_keys)
    routes = [
        Route(prefix="/admin/v1/", app=admin, name="admin"),
        Route(prefix="/openapi/", app=portal, name="openapi", authenticated=False, methods=READ_ONLY),
        Route(prefix="/docs", app=portal, name="docs", authenticated=False),
        # The console's page and assets hold no data: its script calls /admin/v1 with the operator's key.
        Route(prefix="/console", app=ConsoleApp(), name="console", authenticated=False, methods=READ_ONLY),
        Route(prefix="/", app=LandingApp(), name="root", authenticated=False),  # GET /; else the 404 problem
    ]
    remote = ctx.role != "all"
    upstream = Upstream(ctx.client(settings.experience_url, "HUB_EXPERIENCE_URL"), "experience") if remote else None
    for key, app in experiences.items():
        api, version = key.split("-")
        needs = edge_needs(app)  # what the API declares: its channel's credentials, its cacheable GETs
        routes.append(Route(prefix=f"/{version}/{api}/", app=upstream or app, name=key, remote=remote,
                            credentials=needs.credentials))
        # Only what an API declares cacheable is cached (the longest prefix wins at the edge): an
        # order or a return is never served from the cache, to its owner or anyone else.
        routes += [Route(prefix=c.prefix, app=upstream or app, name=key, remote=remote, cache_scope=c.scope,
                         credentials=needs.credentials) for c in needs.cacheable]
    if remote and settings.sandbox and settings.sandbox_url:
        routes.append(Route(prefix="/sandbox/", app=Upstream(ctx.client(settings.sandbox_url, "HUB_SANDBOX_URL"), "sandbox"),
                            name="sandbox", authenticated=False))
    if remote and settings.system_url:
        routes.append(Route(prefix="/hooks/", app=Upstream(ctx.client(settings.system_url, "HUB_SYSTEM_URL"), "system"),
                            name="hooks", authenticated=False))
    return routes
