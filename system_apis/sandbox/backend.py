"""How a backend plugs into the sandbox: one ``BackendSpec`` per backend.

A spec names the backend, its vendor API (path and handlers), its own
controls, its vendor throttle body and how to build its state. Adding a
backend is one more spec in ``app.BACKENDS``; the fault switch, the events
outbox and reset come with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from litestar import Router
from litestar.di import Provide
from litestar.types import ControllerRouterHandler, ExceptionHandlersMap, Middleware

from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.controls import BACKEND_CONTROLS
from system_apis.sandbox.events import Announcer
from system_apis.sandbox.faults import FaultBoard, fault_gate
from system_apis.sandbox.runtime import SandboxBackend


def provide_value(value: Any) -> Provide:
    """A dependency provider that always hands out ``value``."""

    def provider() -> Any:
        return value

    return Provide(provider, use_cache=True, sync_to_thread=False)


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    """The description of one sandbox backend.

    Attributes:
        name: the backend's name in URLs and config (``erp``).
        api_path: its vendor API root below ``/sandbox/{name}`` (``/api/v1``).
        api_handlers: the vendor API handlers; they are faulted.
        build: makes the backend's state, given its announcer and the sandbox config.
        throttle_body: the vendor body of a throttled (429) call.
        throttle_retry_after: the ``Retry-After`` of the throttle fault, as the vendor writes it.
        control_handlers: backend-specific controls below ``/sandbox/{name}``.
        api_exception_handlers: renders the vendor's own errors.
        api_middleware: ASGI middleware of the vendor API (outside the fault
            gate), made from the backend's state: e.g. Shopify's call limit.
    """

    name: str
    api_path: str
    api_handlers: Sequence[ControllerRouterHandler]
    build: Callable[[Announcer, SandboxConfig], SandboxBackend]
    throttle_body: msgspec.Struct
    throttle_retry_after: str = "1"
    control_handlers: Sequence[ControllerRouterHandler] = ()
    api_exception_handlers: ExceptionHandlersMap = field(default_factory=dict)
    api_middleware: Callable[[Any], Sequence[Middleware]] | None = None

    def routers(self, backend: SandboxBackend, faults: FaultBoard) -> list[Router]:
        """The faulted vendor API router and the unfaulted control router."""
        dependencies = {"backend": provide_value(backend), self.name: provide_value(backend)}
        api = Router(
            path=f"/sandbox/{self.name}{self.api_path}",
            route_handlers=list(self.api_handlers),
            dependencies=dependencies,
            before_request=fault_gate(faults, self.name, self.throttle_body, self.throttle_retry_after),
            exception_handlers=dict(self.api_exception_handlers),
            middleware=list(self.api_middleware(backend)) if self.api_middleware else [],
        )
        controls = Router(
            path=f"/sandbox/{self.name}",
            route_handlers=[*BACKEND_CONTROLS, *self.control_handlers],
            dependencies=dependencies,
        )
        return [api, controls]

