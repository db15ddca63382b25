"""Admin API: the configured backend connections (``GET /connections``), never a secret."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get

from experience_apis.http import INJECTED
from gateway.admin.guards import OPERATOR
from gateway.admin.ops import Connection, OpsAdmin

KINDS = {"erp": "erp", "wms": "wms", "pos": "pos", "payments": "payments", "shopify": "commerce"}
SERVES = {
    "erp": ["sales orders", "prices", "customers and credit", "credit memos"],
    "wms": ["stock", "fulfilment releases", "shipments", "return receipts"],
    "pos": ["store stock"],
    "payments": ["refunds"],
    "shopify": ["channel orders", "fulfilments", "refunds"],
}


class ConnectionList(msgspec.Struct):
    items: list[Connection]


@get("/admin/v1/connections", operation_id="listConnections", tags=["operations"], guards=[OPERATOR])
async def list_connections(ops: Annotated[OpsAdmin, INJECTED]) -> ConnectionList:
    circuits = {view.backend: view.circuit for view in await ops.backends.views()}
    return ConnectionList(items=[
        Connection(backend=name, kind=KINDS.get(name, name), base_url=url, serves=SERVES.get(name, []),
                   circuit=circuits.get(name, "closed"))
        for name, url in sorted(ops.connections.items())])
