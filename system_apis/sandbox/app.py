"""The composition root of the sandbox backends: ``create_sandbox_app``.

Serves the sandbox backend of every vendor kind in ``system_apis.registry`` (today ERP,
WMS, POS, Shopify and payments: vendor APIs and controls, every path under
``/sandbox/``), each from its package (``sandbox/<backend>/``). All state is
built here, per app; nothing needs the lifespan to have run, so the hub can call
the app in-process via ``httpx.ASGITransport``.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
from litestar import Litestar
from litestar.datastructures import State

from shared.problems import body_error_handlers

from system_apis.sandbox.backend import BackendSpec, provide_value
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.control_errors import CONTROL_EXCEPTION_HANDLERS
from system_apis.sandbox.controls import APP_CONTROLS
from system_apis.sandbox.events import Announcer, EventDelivery
from system_apis.sandbox.faults import FaultBoard
from system_apis.sandbox.runtime import Sandbox, SandboxBackend
from system_apis.registry import sandbox_specs

BACKENDS: tuple[BackendSpec, ...] = sandbox_specs()


def build_sandbox(
    config: SandboxConfig,
    specs: Sequence[BackendSpec] = BACKENDS,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Sandbox:
    """The backends of ``specs`` at their seed data, with faults and announcers."""
    delivery = EventDelivery(config.event_timeout_seconds, transport, retry=config.event_retry)
    backends: dict[str, SandboxBackend] = {}
    for spec in specs:
        url = config.event_urls.get(spec.name)
        secret = config.webhook_secrets.get(spec.name)
        if url and not secret:
            raise ValueError(f"sandbox backend {spec.name!r} has an event URL but no webhook secret")
        backends[spec.name] = spec.build(Announcer(spec.name, delivery, url, secret or ""), config)
    return Sandbox(backends, FaultBoard(list(backends), config.seed), delivery)


def create_sandbox_app(
    config: SandboxConfig | None = None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Litestar:
    """The sandbox ASGI app of every registered kind's backend (read from the registry now, so a kind
    registered at run time, as a test does, is served); ``transport`` carries its event deliveries."""
    specs = sandbox_specs()
    sandbox = build_sandbox(config or SandboxConfig(), specs, transport)
    routers = [r for spec in specs for r in spec.routers(sandbox.backends[spec.name], sandbox.faults)]
    return Litestar(
        route_handlers=[*routers, *APP_CONTROLS],
        dependencies={"sandbox": provide_value(sandbox), "faults": provide_value(sandbox.faults)},
        exception_handlers={**CONTROL_EXCEPTION_HANDLERS, **body_error_handlers()},
        on_shutdown=[sandbox.aclose],
        state=State({"sandbox": sandbox}),
        openapi_config=None,
        logging_config=None,
        debug=False,
    )
