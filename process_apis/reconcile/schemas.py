"""Reconciliation's wire shapes: a run, its findings, and the pages of both."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Action = Literal["repaired", "reported", "failed"]
Trigger = Literal["schedule", "operator"]
RunStatus = Literal["running", "completed", "failed"]


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One difference a check found (or could not look at), and what it did about it."""

    subject: str
    """What differs: an order id, ``<sku>@<location>``, ..."""
    action: Action
    """``repaired`` (the hub put it right), ``reported`` (an operator must look), ``failed``
    (it could not be checked or the repair failed: ``detail`` says why)."""
    expected: str | None = None
    """What the hub holds."""
    actual: str | None = None
    """What the backend holds (null: nothing)."""
    detail: str | None = None


class CheckCounts(msgspec.Struct, kw_only=True):
    checked: int = 0
    """Subjects compared (orders, (sku, location) levels, ...)."""
    repaired: int = 0
    reported: int = 0
    failed: int = 0


class Run(msgspec.Struct, kw_only=True):
    id: str
    trigger: Trigger
    who: str | None
    """The operator who started it (``<consumer> (<key id>)``); null when scheduled."""
    checks: list[str]
    status: RunStatus
    """``failed``: a check could not complete (see its ``failed`` finding) or the run was cut short (``error``)."""
    started_at: datetime
    finished_at: datetime | None
    counts: dict[str, CheckCounts]
    """Per check; complete even beyond the stored findings' cap."""
    findings_dropped: int = 0
    """Findings beyond the cap per run, counted in ``counts`` but not stored."""
    error: str | None = None


class RunPage(msgspec.Struct):
    items: list[Run]
    next_cursor: str | None


class FindingView(msgspec.Struct, kw_only=True):
    id: str
    check: str
    subject: str
    action: Action
    expected: str | None
    actual: str | None
    detail: str | None
    at: datetime


class RunDetail(Run, kw_only=True):
    findings: list[FindingView] = []
    """Oldest first; ``next_cursor`` pages on."""
    next_cursor: str | None = None
