"""What the operations routes of the admin API read: built by the composition root."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import msgspec

from process_apis.ops.alert_store import AlertStore
from process_apis.ops.flows import FlowsService
from shared.ops.backends import BackendBoard
from shared.ops.pauses import PauseBook
from shared.ops.probes import ProbeResult

if TYPE_CHECKING:
    from gateway.admin.migration import MigrationAdmin
    from system_apis.probing import ProbeScheduler


class ConnectionFacts(msgspec.Struct, frozen=True, kw_only=True):
    """A configured connection as the composition root describes it (never its credential)."""

    name: str
    kind: str
    base_url: str
    """Scheme, host, port and path only: no credentials, no query."""
    roles: list[str]
    serves: list[str]
    options: dict[str, Any] = {}
    """The kind's vendor parameters from hub.toml (never a secret: those are refused there)."""


class Connection(msgspec.Struct, kw_only=True):
    backend: str
    """The connection's name (its backend name in ``GET /backends``)."""
    kind: str
    """The vendor kind (``clouderp``, ``shipworks``, ``storelink``, ``shopify``, ``stripe_like``, ...)."""
    base_url: str | None
    """Scheme, host, port and path only: no credentials, no query (never a secret)."""
    serves: list[str]
    """What it serves: ``erp:primary``, ``channel:<channel>``, ``locations:<prefix>``, ``payments``."""
    circuit: str
    roles: list[str] = []
    """The ports it serves: ``erp``, ``stock``, ``fulfilment``, ``payments``, ``channel``."""
    options: dict[str, Any] = {}
    """The vendor parameters its adapters were given (``realm_id``, ``facility_id``...: never a secret)."""
    health: str = "ok"
    """``ok``, ``degraded`` (half-open circuit or half its calls failing), ``down`` (circuit open or
    its last probe failed), ``unknown`` (probing on, no probe yet) or ``paused`` (an operator paused
    it): ``shared.ops.probes.connection_health``."""
    probe: ProbeResult | None = None
    """Its last health probe: state (``up``/``down``), checked_at, latency_ms, detail (null: none yet,
    or probing off)."""


@dataclass
class OpsAdmin:
    flows: FlowsService
    backends: BackendBoard
    pauses: PauseBook
    alerts: AlertStore
    connections: list[ConnectionFacts] = field(default_factory=list)
    """The configured connections (base URLs already stripped of credentials)."""
    migration: MigrationAdmin | None = None
    """The ERP migration's diffs and primary switch, when a secondary ERP is configured."""
    probing: bool = False
    """``HUB_CONNECTION_PROBE_SECONDS`` > 0: health waits for a first probe (``unknown`` till then)."""
    prober: ProbeScheduler | None = None
    """The probes themselves when this process holds the adapters (all role): ``POST .../probe``."""
