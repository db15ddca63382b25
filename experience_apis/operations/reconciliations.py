"""Admin API: reconciliation runs (issue 11). Scope `admin`.

`POST /admin/v1/reconciliations` starts a run (optionally of some checks only): 202 with the
run, `running`, and its `Location`; it goes on in the background. One run at a time across
every instance: 409 `reconciliation_running` meanwhile. The start is audited
(`reconciliations.start`, `GET /admin/v1/audit`). `GET` lists the runs, newest first, and
reads one with its findings. See docs/reconciliation.md.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Response, get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED, CurrentPrincipal
from experience_apis.openapi import problems
from experience_apis.operations.guards import ADMIN
from process_apis.reconcile.port import ReconcilePort
from process_apis.reconcile.schemas import Run, RunDetail, RunPage
from shared.ops.audit import Actor
from shared.problems import strict_body

Reconciliations = Annotated[ReconcilePort, INJECTED]
CheckName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
PATH = "/admin/v1/reconciliations"


class StartIn(msgspec.Struct, forbid_unknown_fields=True):
    checks: Annotated[list[CheckName], msgspec.Meta(min_length=1, max_length=20)] | None = None
    """The checks to run (`erp_orders`, `stock`, ...); absent: every check."""


class ReconciliationsController(Controller):
    path = PATH
    tags = ["reconciliations"]
    guards = [ADMIN]

    @post("/", operation_id="startReconciliation", status_code=202, before_request=strict_body(StartIn),
          responses=problems({409: "`reconciliation_running`: a run is running (one at a time).",
                              422: "`validation_failed`: an unknown check name (`errors` names it)."}))
    async def start(self, reconciliations: Reconciliations, principal: CurrentPrincipal,
                    data: StartIn | None = None) -> Response[Run]:
        """Start a run now; it compares the hub with the ERP, WMS and POS in the background,
        repairs what it safely can and reports the rest. Read it at `Location`."""
        run = await reconciliations.start(data.checks if data else None, Actor.of(principal))
        return Response(run, status_code=202, headers={"Location": f"{PATH}/{run.id}"})

    @get("/", operation_id="listReconciliations")
    async def list_runs(self, reconciliations: Reconciliations,
                        limit: Annotated[int, Parameter(ge=1, le=200, description="Runs per page, 1 to 200.")] = 50,
                        cursor: str | None = None) -> RunPage:
        """Newest first, with their counts per check; pass `next_cursor` as `cursor` for older runs."""
        return await reconciliations.list_runs(limit, cursor)

    @get("/{run_id:str}", operation_id="getReconciliation", responses=problems({404: "`unknown_reconciliation`."}))
    async def get_run(self, run_id: str, reconciliations: Reconciliations,
                      limit: Annotated[int, Parameter(ge=1, le=500, description="Findings per page.")] = 100,
                      cursor: str | None = None) -> RunDetail:
        """The run with its findings, oldest first; pass `next_cursor` as `cursor` for more."""
        return await reconciliations.get_run(run_id, limit, cursor)
