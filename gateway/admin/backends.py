"""Admin API: backend health and the maintenance switch (CONTRACT section 7, ``GET /backends``).

``POST /backends/{name}/pause`` defers that backend's asynchronous work (workers in every
process) until ``POST /backends/{name}/resume``; synchronous calls are unaffected.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, get, post

from experience_apis.http import INJECTED, CurrentPrincipal
from experience_apis.operations.guards import OPERATOR
from gateway.admin.ops import OpsAdmin
from shared.errors import NotFound
from shared.ops.backends import BackendView

Ops = Annotated[OpsAdmin, INJECTED]


class BackendList(msgspec.Struct):
    items: list[BackendView]


class Switched(msgspec.Struct):
    backend: str
    paused: bool


class BackendsController(Controller):
    path = "/admin/v1/backends"
    tags = ["operations"]
    guards = [OPERATOR]

    @get("/", operation_id="listBackends")
    async def list_backends(self, ops: Ops) -> BackendList:
        return BackendList(items=await ops.backends.views())

    @post("/{name:str}/pause", operation_id="pauseBackend", status_code=200)
    async def pause(self, name: str, ops: Ops, principal: CurrentPrincipal) -> Switched:
        """Idempotent: pausing a paused backend keeps its first pause."""
        await ops.pauses.pause(_known(ops, name), principal.consumer)
        return Switched(backend=name, paused=True)

    @post("/{name:str}/resume", operation_id="resumeBackend", status_code=200)
    async def resume(self, name: str, ops: Ops) -> Switched:
        """Idempotent; the messages deferred by the pause are due at once."""
        await ops.pauses.resume(_known(ops, name))
        return Switched(backend=name, paused=False)


def _known(ops: OpsAdmin, name: str) -> str:
    if not ops.backends.known(name):
        raise NotFound(f"No backend connection named {name[:40]!r}.")
    return name
