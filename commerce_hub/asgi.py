"""The ASGI entry point of every role: ``commerce_hub.asgi:create_app`` (a factory).

The app answers the ASGI lifespan by building its role (``roles.build``) and
closing everything on shutdown; until startup completes, requests get 503.
"""

from __future__ import annotations

import gc
import logging
import os
from contextlib import AsyncExitStack
from typing import Callable

from commerce_hub import roles
from shared.errors import Starting
from shared.problems import send_problem
from shared.logs import remember_secrets, setup_logging
from shared.settings import Settings, load_settings
from shared.telemetry import setup_tracing

log = logging.getLogger("commerce_hub")


class HubApp:
    def __init__(self, settings: Settings, role: str, adapters: dict[str, object] | None = None) -> None:
        """``adapters``: ready adapters standing in for backend connections, by name (tests)."""
        self.settings = settings
        self.role = role
        self.adapters = adapters
        self.edge = None
        self.bus = None
        self.lane = None
        """The edge's hit lane, which ``commerce_hub.server`` offers bodiless GETs to (None: none)."""
        self._stack: AsyncExitStack | None = None

    async def startup(self) -> None:
        remember_secrets(secrets_of(self.settings))
        setup_tracing(f"commerce-hub-{self.role}")
        self._stack = AsyncExitStack()
        await self._stack.__aenter__()
        self.edge, self.bus = await roles.build(self.settings, self.role, self._stack, self.adapters)
        self.lane = getattr(self.edge, "lane", None)

    async def edge_bus_connected(self) -> None:
        """Tests: wait until this role's bus listens (immediate without Redis)."""
        connected = getattr(self.bus, "connected", None)
        if connected is not None:
            await connected.wait()

    async def shutdown(self) -> None:
        self.lane = None
        if self._stack is not None:
            await self._stack.aclose()
            self._stack = None

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        elif self.edge is None:
            await send_problem(send, Starting("Try again in a second.", headers={"Retry-After": "1"}), scope)
        else:
            await self.edge(scope, receive, send)

    async def _lifespan(self, receive: Callable, send: Callable) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("startup failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                settle_heap()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return


YOUNG_GENERATION = 7000
"""Allocations (less deallocations) between two collections of the youngest generation; the
interpreter's default is 700. A request allocates and frees hundreds of short-lived objects: at
700 the collector ran every few requests and took about 0.07 ms of a stock report's 0.7 ms in the
hub, at 7000 about 0.03 (most of them are gone before it looks; docs/performance.md)."""


def settle_heap() -> None:
    """After startup: the startup heap (~145k objects) is long-lived, so it is kept out of the full
    collections that otherwise pause the server for 100+ ms now and then; the youngest generation
    is collected less often (``YOUNG_GENERATION``)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GENERATION, *gc.get_threshold()[1:])


def create_app() -> HubApp:
    """The server's factory (``commerce_hub.server``): settings from the environment the CLI prepared."""
    settings = load_settings()
    setup_logging(settings.log_level, settings.json_logs, secrets_of(settings))
    return HubApp(settings, os.environ.get("HUB_ROLE", "all"))


def secrets_of(settings: Settings) -> list[str | None]:
    """The configured secrets, masked wherever they would appear in a log line or span."""
    return [settings.bootstrap_admin_key, settings.internal_secret, settings.shopify_access_token,
            settings.shopify_webhook_secret, settings.wms_webhook_secret, settings.pos_webhook_secret,
            settings.erp_webhook_secret]
