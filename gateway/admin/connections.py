"""Admin API: the configured backend connections (``GET /connections``), never a secret.

Each with its vendor kind, base URL, the ports it serves and for what, and its
health read from the live circuit and pause of the backend of the same name."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from gateway.admin.ops import Connection, OpsAdmin
from shared.ops.backends import BackendView


class ConnectionList(msgspec.Struct):
    items: list[Connection]


def health(view: BackendView | None) -> str:
    if view is None:
        return "ok"
    if view.paused:
        return "paused"
    if view.circuit == "open":
        return "down"
    return "degraded" if view.circuit == "half_open" or (view.calls and view.error_rate >= 0.5) else "ok"


@get("/admin/v1/connections", operation_id="listConnections", tags=["operations"], guards=[OPERATOR])
async def list_connections(ops: Annotated[OpsAdmin, INJECTED]) -> ConnectionList:
    views = {view.backend: view for view in await ops.backends.views()}
    return ConnectionList(items=[
        Connection(backend=c.name, kind=c.kind, base_url=c.base_url, serves=c.serves, roles=c.roles, options=c.options,
                   circuit=views[c.name].circuit if c.name in views else "closed", health=health(views.get(c.name)))
        for c in ops.connections])
