"""The composition root: what each role builds, in the lifespan, and how it is wired.

``all`` builds every layer in one process, calls between layers staying in
process. Any other role builds its own layer and reaches its neighbours by
the URL settings, through the same ports (``shared.rpc`` for process and
system, the edge's ``Upstream`` for experience). Everything built here is
closed by the caller's ``AsyncExitStack``.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
from sqlalchemy import text

from experience_apis.storefront.app import create_storefront_v1
from gateway.admin.app import create_admin_app
from gateway.edge import Edge, Route
from gateway.health import HealthApp
from gateway.identity import CredentialAuthenticator
from gateway.keys.repository import KeyRepository
from gateway.keys.service import KeyService
from gateway.policies.ratelimit import LocalRateLimiter
from gateway.portal import PortalApp
from gateway.upstream import Upstream
from process_apis.pricing.port import PricingPort
from process_apis.pricing.service import PricingService
from shared.db.engine import create_engine
from shared.metrics import Registry
from shared.rpc import RpcApp, rpc_client
from shared.settings import Settings
from system_apis.erp.port import ErpPort
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.wiring import build_system_ports
from system_apis.wms.port import StockPort

SANDBOX_PATHS = {"erp": "/sandbox/erp", "wms": "/sandbox/wms", "pos": "/sandbox/pos"}


async def build(settings: Settings, role: str, stack: AsyncExitStack) -> Edge:
    metrics = Registry()
    routes: list[Route] = []
    checks: dict = {}
    sandbox_app = None
    if settings.sandbox and role in ("all", "sandbox"):
        sandbox_app = create_sandbox_app(_sandbox_config(settings))
        routes.append(Route(prefix="/sandbox/", app=sandbox_app, name="sandbox", authenticated=False))
    system = None
    if role in ("all", "system", "process"):
        system = await _system(settings, role, stack, sandbox_app)
    if role == "system":
        routes.append(Route(prefix="/rpc/", app=RpcApp({
            "erp": (ErpPort, system["erp"]), "wms": (StockPort, system["wms"]), "pos": (StockPort, system["pos"]),
        }), name="rpc", authenticated=False))
    ports = await _process(settings, role, stack, system) if role in ("all", "process", "experience", "gateway") else {}
    if role == "process":
        routes.append(Route(prefix="/rpc/", app=RpcApp({"pricing": (PricingPort, ports["pricing"])}), name="rpc", authenticated=False))
    experiences = {}
    if role in ("all", "experience", "gateway"):
        experiences = {"storefront-v1": create_storefront_v1(ports, settings.internal_secret)}
    if role == "experience":
        routes += [Route(prefix=f"/{k.split('-')[1]}/{k.split('-')[0]}/", app=a, name=k, authenticated=False) for k, a in experiences.items()]
    keys = None
    if role in ("all", "gateway"):
        engine = create_engine(settings.database_url)
        stack.push_async_callback(engine.dispose)
        checks["database"] = lambda: _ping(engine)
        keys = KeyService(KeyRepository(engine), lambda: set(settings.plans), settings.default_plan)
        if settings.bootstrap_admin_key:
            await keys.ensure_bootstrap_admin(settings.bootstrap_admin_key)
        routes += _gateway_routes(settings, role, stack, experiences, keys)
    routes.append(Route(prefix="/health/", app=HealthApp(checks, metrics), name="health", authenticated=False))
    routes.append(Route(prefix="/metrics", app=HealthApp(checks, metrics), name="metrics", authenticated=False))
    authenticator = CredentialAuthenticator(keys) if keys else _NoAuth()
    return Edge(routes, authenticator, LocalRateLimiter(lambda: settings.plans), metrics,
                internal_secret=settings.internal_secret, max_body_bytes=settings.max_body_bytes)


def _gateway_routes(settings: Settings, role: str, stack: AsyncExitStack, experiences: dict, keys: KeyService) -> list[Route]:
    routes = [
        Route(prefix="/admin/v1/", app=create_admin_app(keys, lambda: settings.plans, settings.internal_secret), name="admin"),
        Route(prefix="/openapi/", app=PortalApp(experiences), name="openapi", authenticated=False),
    ]
    if role == "all":
        for key, app in experiences.items():
            api, version = key.split("-")
            routes.append(Route(prefix=f"/{version}/{api}/", app=app, name=key))
        return routes
    experience = _client(stack, settings.experience_url, "HUB_EXPERIENCE_URL")
    for key in experiences:
        api, version = key.split("-")
        routes.append(Route(prefix=f"/{version}/{api}/", app=Upstream(experience, "experience"), name=key, remote=True))
    if settings.sandbox and settings.sandbox_url:
        routes.append(Route(prefix="/sandbox/", app=Upstream(_client(stack, settings.sandbox_url, "HUB_SANDBOX_URL"), "sandbox"),
                            name="sandbox", authenticated=False))
    return routes


async def _system(settings: Settings, role: str, stack: AsyncExitStack, sandbox_app) -> dict:  # noqa: ANN001
    if role == "process":
        client = _client(stack, settings.system_url, "HUB_SYSTEM_URL")
        return {"erp": rpc_client(ErpPort, "erp", client), "wms": rpc_client(StockPort, "wms", client),
                "pos": rpc_client(StockPort, "pos", client)}
    transport = None
    if settings.sandbox and sandbox_app is not None:
        transport = httpx.ASGITransport(app=sandbox_app)
        base_urls = {name: f"http://sandbox{path}" for name, path in SANDBOX_PATHS.items()}
    elif settings.sandbox:
        if not settings.sandbox_url:
            raise RuntimeError("HUB_SANDBOX_URL: required for the system role when HUB_SANDBOX=1")
        base_urls = {name: settings.sandbox_url.rstrip("/") + path for name, path in SANDBOX_PATHS.items()}
    else:
        base_urls = {"erp": settings.erp_url, "wms": settings.wms_url, "pos": settings.pos_url}
    ports = await build_system_ports(stack, base_urls, timeout=settings.backend_timeout_seconds, transport=transport)
    return {"erp": ports.erp, "wms": ports.wms, "pos": ports.pos, "guards": ports.guards}


async def _process(settings: Settings, role: str, stack: AsyncExitStack, system: dict | None) -> dict:
    if role in ("experience", "gateway"):
        if role == "gateway":
            return {}
        client = _client(stack, settings.process_url, "HUB_PROCESS_URL")
        return {"pricing": rpc_client(PricingPort, "pricing", client)}
    assert system is not None
    return {"pricing": PricingService(system["erp"], [system["wms"], system["pos"]])}


def _client(stack: AsyncExitStack, url: str | None, setting: str) -> httpx.AsyncClient:
    if not url:
        raise RuntimeError(f"{setting}: required for this role")
    client = httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(10.0),
                               limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
    stack.push_async_callback(client.aclose)
    return client


def _sandbox_config(settings: Settings) -> SandboxConfig:
    return SandboxConfig(webhook_secrets={"wms": settings.wms_webhook_secret, "pos": settings.pos_webhook_secret,
                                          "erp": settings.erp_webhook_secret})


async def _ping(engine) -> None:  # noqa: ANN001
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


class _NoAuth:
    async def authenticate(self, scope: dict):  # noqa: ANN201
        from shared.errors import Unauthorized

        raise Unauthorized("This role serves no authenticated routes.")
