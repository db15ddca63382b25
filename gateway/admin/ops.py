"""What the operations routes of the admin API read: built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from process_apis.ops.alert_store import AlertStore
from process_apis.ops.flows import FlowsService
from shared.ops.backends import BackendBoard
from shared.ops.pauses import PauseBook


class Connection(msgspec.Struct, kw_only=True):
    backend: str
    kind: str
    """The backend's role: ``erp``, ``wms``, ``pos``, ``payments``, ``commerce`` (Shopify)."""
    base_url: str | None
    """Scheme, host, port and path only: no credentials, no query (never a secret)."""
    serves: list[str]
    circuit: str


@dataclass
class OpsAdmin:
    flows: FlowsService
    backends: BackendBoard
    pauses: PauseBook
    alerts: AlertStore
    connections: dict[str, str | None] = field(default_factory=dict)
    """Backend name -> its base URL (already stripped of credentials)."""
