"""Every registered kind's health probe against its own sandbox: up when healthy, down under the
sandbox's outage fault and up again once it is cleared, up when throttled (a 429 is reachable),
read-only, never a vendor body in its detail, and never counted by the circuit breaker."""

from __future__ import annotations

import pytest

from shared.ops.probes import ProbeResult
from system_apis.probing import Probe
from system_apis.registry import KINDS
from tests.system_apis.contracts.harness import UnderTest

KIND_NAMES = list(KINDS)


@pytest.fixture(params=KIND_NAMES, ids=KIND_NAMES)
async def under(request: pytest.FixtureRequest):
    kind = KINDS[request.param]
    under = UnderTest(kind, kind.prober)
    yield under
    await under.aclose()


def _clean(result: ProbeResult) -> None:
    assert result.latency_ms >= 0 and result.checked_at.tzinfo is not None
    assert len(result.detail) < 60 and "{" not in result.detail and "<" not in result.detail


async def test_every_kind_names_a_prober_that_probes(under: UnderTest) -> None:
    assert under.kind.prober in under.kind.adapters
    assert isinstance(under.port, Probe), f"{under.kind.name}: its {under.kind.prober} adapter has no probe()"


async def test_a_healthy_sandbox_probes_up_with_one_read_only_call(under: UnderTest) -> None:
    result = await under.port.probe()
    assert result.state == "up", (under.kind.name, result)
    _clean(result)
    assert len(under.transport.sent) == 1
    sent = under.transport.sent[0]
    # One GET; the legacy ERP's SOAP operations are all POSTs, its probe a read with no record.
    assert sent.method == ("POST" if under.kind.name == "legacy_erp" else "GET"), sent.method
    assert under.guard.snapshot().calls == 0


async def test_an_outage_probes_down_without_touching_the_circuit_and_up_once_cleared(under: UnderTest) -> None:
    await under.faults(outage=True)
    for _ in range(6):  # more than the breaker's default threshold (5) in a row
        result = await under.port.probe()
        assert result.state == "down" and result.detail == "answered 503", (under.kind.name, result)
        _clean(result)
    assert under.guard.breaker.state == "closed" and under.guard.snapshot().calls == 0
    (await under.control.delete(f"/sandbox/{under.backend}/faults")).raise_for_status()
    assert (await under.port.probe()).state == "up"


async def test_a_throttled_vendor_is_reachable(under: UnderTest) -> None:
    await under.faults(throttle=True)
    result = await under.port.probe()
    assert result.state == "up" and "429" in result.detail, (under.kind.name, result)
