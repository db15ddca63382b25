"""Admin API: alerts, firing and recently resolved, with their history (``GET /alerts``). Scope `admin` or `console`."""

from __future__ import annotations

from typing import Annotated

from litestar import get

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from gateway.admin.ops import OpsAdmin
from process_apis.ops.alert_store import AlertList


@get("/admin/v1/alerts", operation_id="listAlerts", tags=["operations"], guards=[OPERATOR])
async def list_alerts(ops: Annotated[OpsAdmin, INJECTED]) -> AlertList:
    """Each rule that fired in the last 24 hours with its current state; ``history`` newest first."""
    return await ops.alerts.list()
