"""Active health checks of the backend connections: what one probe found.

A probe is one cheap, read-only call a real integration makes to check it can
reach its vendor (Shopify ``GET shop.json``, QuickBooks ``companyinfo``...),
sent every ``HUB_CONNECTION_PROBE_SECONDS`` by the role holding the adapters
(``system_apis/probing.py``) outside the circuit breaker. Its result travels
with the backend reports (``shared/ops/backends.py``) so the admin API of any
role shows it. ``connection_health`` is the rule ``GET /admin/v1/connections``
applies (docs/connections.md, "Health").
"""

from __future__ import annotations

from datetime import datetime

import msgspec

UP, DOWN = "up", "down"


class ProbeResult(msgspec.Struct, frozen=True, kw_only=True):
    """The last probe of a connection; ``detail`` is a short phrase, never a vendor body or a secret."""

    state: str
    """``up`` (the vendor answered, a 429 included: throttled is reachable) or ``down``."""
    checked_at: datetime
    latency_ms: float
    detail: str


def status_detail(status: int) -> tuple[str, str]:
    """A vendor's HTTP status as a probe's state and detail: 2xx and 429 are up, the rest down."""
    if status < 300:
        return UP, f"answered {status}"
    if status == 429:
        return UP, "throttled (429): reachable"
    if status in (401, 403):
        return DOWN, f"refused the credential ({status})"
    return DOWN, f"answered {status}"


def connection_health(*, paused: bool, circuit: str, calls: int, error_rate: float,
                      probe: ProbeResult | None, probing: bool) -> str:
    """``paused`` (an operator's switch) > ``down`` (circuit open, or the last probe failed) >
    ``unknown`` (probing on, no probe yet) > ``degraded`` (circuit half open, or half the recent
    calls failing) > ``ok``. With probing off (``HUB_CONNECTION_PROBE_SECONDS=0``) only the
    circuit and the pause count, as before probes."""
    if paused:
        return "paused"
    if circuit == "open" or (probe is not None and probe.state == DOWN):
        return "down"
    if probing and probe is None:
        return "unknown"
    return "degraded" if circuit == "half_open" or (calls and error_rate >= 0.5) else "ok"
