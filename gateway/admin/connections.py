"""Admin API: the configured backend connections (``GET /connections``), never a secret.

Each with its vendor kind, base URL, the ports it serves and for what, its last
health probe, and its health from that probe and the live circuit and pause of
the backend of the same name (``shared.ops.probes.connection_health``).
``POST /connections/{name}/probe`` probes one now where this process holds the
adapters (the ``all`` role); elsewhere the system role's next round answers."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from gateway.admin.ops import Connection, ConnectionFacts, OpsAdmin
from shared.errors import Conflict, NotFound
from shared.ops.backends import BackendView
from shared.ops.probes import ProbeResult, connection_health


class ConnectionList(msgspec.Struct):
    items: list[Connection]


def health(view: BackendView | None, probe: ProbeResult | None = None, probing: bool = False) -> str:
    if view is None:
        return connection_health(paused=False, circuit="closed", calls=0, error_rate=0.0, probe=probe, probing=probing)
    return connection_health(paused=view.paused, circuit=view.circuit, calls=view.calls, error_rate=view.error_rate,
                             probe=probe, probing=probing)


def _shown(c: ConnectionFacts, view: BackendView | None, probing: bool) -> Connection:
    """The latest probe any instance made (this process's own read live: ``BackendReports.local``)."""
    probe = view.probe if view is not None else None
    return Connection(backend=c.name, kind=c.kind, base_url=c.base_url, serves=c.serves, roles=c.roles,
                      options=c.options, circuit=view.circuit if view else "closed",
                      health=health(view, probe, probing), probe=probe)


@get("/admin/v1/connections", operation_id="listConnections", tags=["operations"], guards=[OPERATOR])
async def list_connections(ops: Annotated[OpsAdmin, INJECTED]) -> ConnectionList:
    views = {view.backend: view for view in await ops.backends.views()}
    return ConnectionList(items=[_shown(c, views.get(c.name), ops.probing) for c in ops.connections])


@post("/admin/v1/connections/{name:str}/probe", operation_id="probeConnection", tags=["operations"],
      guards=[OPERATOR], status_code=200)
async def probe_connection(name: str, ops: Annotated[OpsAdmin, INJECTED]) -> Connection:
    """Probe one connection now and show it as ``GET /connections`` would; 409 where this process
    does not hold the adapters (split roles: the system role probes every HUB_CONNECTION_PROBE_SECONDS)."""
    facts = next((c for c in ops.connections if c.name == name), None)
    if facts is None:
        raise NotFound(f"No backend connection named {name[:40]!r}.")
    if ops.prober is None or name not in ops.prober.names():
        raise Conflict(f"Connection {name!r} is not probed in this process; its last probe is in GET /connections.")
    await ops.prober.probe_now(name)
    view = next((v for v in await ops.backends.views() if v.backend == name), None)
    return _shown(facts, view, ops.probing)

