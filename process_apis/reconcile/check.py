"""The check protocol: one comparison of the hub's view with a backend's, registered by name.

    class MyCheck:
        name = "storefront"
        async def run(self, found: Findings) -> None:
            for subject in ...:                     # page through what the hub holds
                found.checked()
                if differs:
                    repair() or not
                    await found.add(Finding(subject=..., action="repaired" | "reported" | "failed", ...))

A check repairs what it safely can itself (re-enqueue, re-apply) and reports the rest. It may
raise: the runner records a ``failed`` finding for the check, marks the run ``failed`` and
goes on with the next check; what it found before still stands. Registered checks are listed
by ``ReconcileService.register`` (the composition root; a storefront check plugs in there).
"""

from __future__ import annotations

from typing import Protocol

from process_apis.reconcile.schemas import Finding


class Findings(Protocol):
    """Where a check puts what it compares and finds (the runner's recorder)."""

    def checked(self, count: int = 1) -> None:
        """``count`` more subjects were compared."""
        ...

    async def add(self, finding: Finding) -> None:
        """Record one finding (counted always; stored up to the run's cap)."""
        ...


class Check(Protocol):
    name: str
    """Unique, ``[a-z_]``: what an operator names in ``POST /admin/v1/reconciliations``."""

    async def run(self, found: Findings) -> None:
        ...
