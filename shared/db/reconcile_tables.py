"""Reconciliation tables (issue 11): the runs and what each found. Same metadata as
``shared.db.tables``; migration 0018 creates them.

One run at a time across processes: the partial unique index on ``status`` admits one
``running`` row only, and that row is the lease (``lease_until``, renewed while it runs); a
run whose lease ran out (its process died) is closed as ``failed`` by the next start.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, String, Table

from shared.db.tables import BigId, metadata

reconcile_runs = Table(
    "reconcile_runs",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("trigger", String(16), nullable=False),  # schedule | operator
    Column("who", String(250), nullable=True),  # the operator ("<consumer> (<key id>)"), null when scheduled
    Column("checks", JSON, nullable=False),  # the check names asked for, in order
    Column("status", String(16), nullable=False),  # running | completed | failed
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=False),
    Column("counts", JSON, nullable=False),  # {check: {"checked", "repaired", "reported", "failed"}}
    Column("findings_dropped", Integer, nullable=False, default=0),  # beyond the per-run cap
    Column("error", String(500), nullable=True),  # why the run failed, if it did
    sqlite_autoincrement=True,
)
Index("uq_reconcile_runs_running", reconcile_runs.c.status, unique=True,
      sqlite_where=reconcile_runs.c.status == "running", postgresql_where=reconcile_runs.c.status == "running")
Index("ix_reconcile_runs_started_at", reconcile_runs.c.started_at)

reconcile_findings = Table(
    "reconcile_findings",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("run_id", BigId, ForeignKey("reconcile_runs.id", ondelete="CASCADE"), nullable=False),
    Column("check_name", String(64), nullable=False),
    Column("subject", String(200), nullable=False),  # an order id, "<sku>@<location>", ...
    Column("expected", String(500), nullable=True),  # what the hub holds
    Column("actual", String(500), nullable=True),  # what the backend holds
    Column("action", String(16), nullable=False),  # repaired | reported | failed
    Column("detail", String(500), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_reconcile_findings_run_id", reconcile_findings.c.run_id, reconcile_findings.c.id)
