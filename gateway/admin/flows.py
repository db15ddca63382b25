"""Admin API: the flows dashboard (CONTRACT section 7, ``GET /flows``). Scope `admin` or `console`."""

from __future__ import annotations

from typing import Annotated

from litestar import get

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from gateway.admin.ops import OpsAdmin
from process_apis.ops.flows import FlowsView


@get("/admin/v1/flows", operation_id="listFlows", tags=["operations"], guards=[OPERATOR])
async def list_flows(ops: Annotated[OpsAdmin, INJECTED]) -> FlowsView:
    """One item per flow (throughput, errors, latency, backlog, dead letters) and the business views."""
    return await ops.flows.view()
