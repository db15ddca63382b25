"""Active health checks: every connection's probe, every ``HUB_CONNECTION_PROBE_SECONDS``.

Each vendor's adapter implements ``Probe`` (one cheap, read-only call its vendor's
integrations use to check they can connect: ``VendorHttp.probe``), and its kind
names the role whose adapter probes (``VendorKind.probe_role``,
``system_apis/registry.py``); ``build_system_ports`` collects them by connection
name. The scheduler knows no vendor: it runs every probe at once, each under a
deadline, and keeps the last result per connection; the backend reports carry
them (every HUB_OPS_REPORT_SECONDS), so a split gateway role sees them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from shared.messaging.outbox import utcnow
from shared.ops.loop import Every
from shared.ops.probes import DOWN, ProbeResult


@runtime_checkable
class Probe(Protocol):
    async def probe(self) -> ProbeResult:
        """One cheap read-only call to the vendor; never raises for a vendor's answer."""
        ...


class ProbeScheduler:
    """Runs the probes round after round; ``results`` holds the last of each connection."""

    def __init__(self, probes: Mapping[str, Probe], *, interval: float, deadline: float) -> None:
        self._probes, self._deadline = dict(probes), deadline
        self.results: dict[str, ProbeResult] = {}
        self._loop = Every("connection-probes", interval, self.run_round)

    def names(self) -> tuple[str, ...]:
        return tuple(self._probes)

    async def probe_now(self, name: str) -> ProbeResult:
        """Probe one connection now (``KeyError`` if it has no probe); its result is kept."""
        self.results[name] = result = await self._one(self._probes[name])
        return result

    async def run_round(self) -> dict[str, ProbeResult]:
        """Every probe at once; each result replaces that connection's last."""
        names = list(self._probes)
        found = await asyncio.gather(*(self._one(self._probes[n]) for n in names))
        self.results.update(zip(names, found))
        return dict(self.results)

    async def _one(self, probe: Probe) -> ProbeResult:
        started = utcnow()
        try:
            return await asyncio.wait_for(probe.probe(), self._deadline)
        except TimeoutError:
            detail = f"no answer within {self._deadline:g} s"
        except Exception as exc:  # an adapter's bug must not stop the other probes
            detail = f"probe failed ({type(exc).__name__})"
        elapsed = (utcnow() - started).total_seconds() * 1000
        return ProbeResult(state=DOWN, checked_at=utcnow(), latency_ms=round(elapsed, 3), detail=detail)

    def start(self) -> None:
        if self._probes:
            self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()
