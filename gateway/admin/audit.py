"""Admin API: the audit log of operators' actions (issue 12), newest first. Scope `admin` or `console`."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import Parameter

from experience_apis.http import INJECTED
from experience_apis.operations.guards import OPERATOR
from shared.messaging.dead_letters import DeadLetterService
from shared.ops.audit import AuditPage

Limit = Annotated[int, Parameter(ge=1, le=200, description="Entries per page, 1 to 200.")]


@get("/admin/v1/audit", operation_id="listAudit", tags=["operations"], guards=[OPERATOR])
async def list_audit(dead_letters: Annotated[DeadLetterService, INJECTED], limit: Limit = 50,
                     cursor: str | None = None) -> AuditPage:
    """Who did what, when: replays (one, bulk, dry runs), resolutions and deletions of dead
    letters; pass `next_cursor` as `cursor` for older entries."""
    return await dead_letters.audit.list(limit, cursor)
