"""The probe scheduler knows no vendor: every probe at once, each under its deadline; a probe
that hangs or raises is ``down`` without holding up the others."""

from __future__ import annotations

import asyncio
import time

from shared.messaging.outbox import utcnow
from shared.ops.probes import ProbeResult, connection_health
from system_apis.probing import ProbeScheduler


class Scripted:
    def __init__(self, *, wait: float = 0.0, fail: bool = False, state: str = "up") -> None:
        self.wait, self.fail, self.state, self.calls = wait, fail, state, 0

    async def probe(self) -> ProbeResult:
        self.calls += 1
        await asyncio.sleep(self.wait)  # the vendor's answer time, not a wait for a condition
        if self.fail:
            raise RuntimeError("adapter bug with a secret: sk_live_123")
        return ProbeResult(state=self.state, checked_at=utcnow(), latency_ms=self.wait * 1000, detail="answered 200")


async def test_probes_run_at_once_each_under_its_deadline() -> None:
    probes = {"fast": Scripted(), "slow": Scripted(wait=0.3), "hung": Scripted(wait=30), "buggy": Scripted(fail=True)}
    scheduler = ProbeScheduler(probes, interval=60, deadline=0.5)
    started = time.monotonic()
    results = await scheduler.run_round()
    assert time.monotonic() - started < 2.0  # at once: not 0.3 + 0.5 + ... in a row
    assert results["fast"].state == "up" and results["slow"].state == "up"
    assert results["hung"].state == "down" and results["hung"].detail == "no answer within 0.5 s"
    assert results["buggy"].state == "down" and results["buggy"].detail == "probe failed (RuntimeError)"
    assert "sk_live" not in str(results) and scheduler.results == results


async def test_the_loop_probes_again_every_interval_and_stops() -> None:
    probe = Scripted()
    scheduler = ProbeScheduler({"erp": probe}, interval=0.05, deadline=1)
    scheduler.start()
    deadline = time.monotonic() + 5
    while probe.calls < 3 and time.monotonic() < deadline:
        await asyncio.sleep(0.01)  # polling for the condition, bounded by the deadline
    await scheduler.stop()
    assert probe.calls >= 3
    calls = probe.calls
    await asyncio.sleep(0.1)
    assert probe.calls == calls


def test_the_health_rule() -> None:
    up = ProbeResult(state="up", checked_at=utcnow(), latency_ms=1.0, detail="answered 200")
    down = ProbeResult(state="down", checked_at=utcnow(), latency_ms=1.0, detail="answered 503")

    def rule(**kw: object) -> str:
        return connection_health(**{"paused": False, "circuit": "closed", "calls": 0, "error_rate": 0.0,
                                    "probe": None, "probing": True, **kw})  # type: ignore[arg-type]

    assert rule(probe=up) == "ok" and rule(probe=down) == "down" and rule() == "unknown"
    assert rule(probe=up, circuit="open") == "down" and rule(probe=up, circuit="half_open") == "degraded"
    assert rule(probe=up, calls=10, error_rate=0.5) == "degraded" and rule(probe=down, paused=True) == "paused"
    assert rule(probing=False) == "ok" and rule(probing=False, circuit="open") == "down"
