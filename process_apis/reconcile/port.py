"""What the admin API may ask of reconciliation (served over RPC when roles run split)."""

from __future__ import annotations

from typing import Protocol

from process_apis.reconcile.schemas import Run, RunDetail, RunPage
from shared.ops.audit import Actor


class ReconcilePort(Protocol):
    async def start(self, checks: list[str] | None, actor: Actor) -> Run:
        """Start a run of ``checks`` (all registered ones when None) in the background; the run,
        ``running``. 409 ``reconciliation_running`` while another runs anywhere; 422 for an
        unknown check name. Audited as ``reconciliations.start``."""
        ...

    async def list_runs(self, limit: int = 50, cursor: str | None = None) -> RunPage:
        """Newest first; ``next_cursor`` pages on."""
        ...

    async def get_run(self, run_id: str, limit: int = 100, cursor: str | None = None) -> RunDetail:
        """The run with a page of its findings; 404 ``unknown_reconciliation``."""
        ...
