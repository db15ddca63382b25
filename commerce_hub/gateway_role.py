"""The gateway's part of the composition: keys, limits, cache, and its routes."""

from __future__ import annotations

import httpx
import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.app import create_admin_app
from gateway.edge import Route
from gateway.keys.repository import KeyRepository
from gateway.keys.service import KeyService
from gateway.plans.book import PlanBook
from gateway.policies.cache import MemoryStore, ResponseCache
from gateway.policies.cache_redis import RedisStore
from gateway.policies.ratelimit import LocalRateLimiter, RateLimiter
from gateway.policies.ratelimit_redis import RedisRateLimiter
from gateway.portal import PortalApp
from gateway.tokens.oauth import JWKS_PATH, TOKEN_PATH
from gateway.tokens.wiring import TokenStack, build_token_stack
from gateway.upstream import Upstream
from commerce_hub.context import Context
from shared.bus import CatalogChanged
from shared.db.engine import create_engine
from system_apis.inbound import CATALOG_TOPIC


KEYS_TOPIC = "keys.changed"


class KeysChanged(msgspec.Struct):
    """A key was revoked or rotated somewhere: drop cached look-ups."""


CACHEABLE = ("/v1/storefront/products/", "/v2/storefront/products/", "/v1/mobile/products/")


async def open_keys(ctx: Context) -> KeyService:
    settings = ctx.settings
    engine = create_engine(settings.database_url)
    ctx.stack.push_async_callback(engine.dispose)

    async def ping() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    ctx.checks["database"] = ping
    ctx.engine = engine
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

    async def on_change(payload: bytes) -> None:
        event = msgspec.json.decode(payload, type=CatalogChanged)
        if event.reason == "purge":
            await cache.purge(event.sku)
        else:
            await cache.invalidate(event.sku)

    ctx.bus.subscribe(CATALOG_TOPIC, on_change)
    return cache


def rate_limiter(ctx: Context) -> RateLimiter:
    plans = ctx.book.current if ctx.book else (lambda: ctx.settings.plans)
    if ctx.redis is not None:
        return RedisRateLimiter(ctx.redis, plans, ctx.metrics)
    return LocalRateLimiter(plans)


def gateway_routes(ctx: Context, experiences: dict, keys: KeyService) -> list[Route]:
    settings = ctx.settings
    routes = [
        Route(prefix="/admin/v1/", app=create_admin_app(keys, ctx.book, ctx.bus, settings.internal_secret),
              name="admin"),
        Route(prefix="/openapi/", app=PortalApp(experiences), name="openapi", authenticated=False),
    ]
    remote = ctx.role != "all"
    upstream = Upstream(ctx.client(settings.experience_url, "HUB_EXPERIENCE_URL"), "experience") if remote else None
    for key, app in experiences.items():
        api, version = key.split("-")
        prefix = f"/{version}/{api}/"
        cache_scope = "catalog:read" if any(c.startswith(prefix) for c in CACHEABLE) else None
        routes.append(Route(prefix=prefix, app=upstream or app, name=key, remote=remote, cache_scope=cache_scope))
    if remote and settings.sandbox and settings.sandbox_url:
        routes.append(Route(prefix="/sandbox/", app=Upstream(ctx.client(settings.sandbox_url, "HUB_SANDBOX_URL"), "sandbox"),
                            name="sandbox", authenticated=False))
    if remote and settings.system_url:
        routes.append(Route(prefix="/hooks/", app=Upstream(ctx.client(settings.system_url, "HUB_SYSTEM_URL"), "system"),
                            name="hooks", authenticated=False))
    return routes
