"""Storefront levels: what the shop shows against what the hub pushed (the storefront push's
drift check, ``process_apis.storefront.drift``), as a reconciliation check.

A settled level the shop shows otherwise is ``repaired``: marked due again, the pusher sends
it. A level the shop refuses, or one the hub never pushed, is ``reported``. A shop that cannot
be read is a ``failed`` finding (the runner records the exception).
"""

from __future__ import annotations

from process_apis.reconcile.check import Findings
from process_apis.reconcile.schemas import Finding
from process_apis.storefront.drift import CHECK, StorefrontDrift


class StorefrontCheck:
    name = CHECK

    def __init__(self, drift: StorefrontDrift) -> None:
        self._drift = drift

    async def run(self, found: Findings) -> None:
        compared, findings = await self._drift.compare(repair=True)
        found.checked(compared)
        for f in findings:
            await found.add(Finding(subject=f.subject, action=f.action, expected=f.expected,  # type: ignore[arg-type]
                                    actual=f.actual, detail=f.detail or None))
