"""Adapters over ``httpx.MockTransport``: a guarded, traced ``VendorHttp`` per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from shared.resilience import Guard, RetryPolicy
from system_apis.vendor_http import VendorHttp

FAST = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, budget=10.0)

Answer = httpx.Response | Exception


class Wire:
    """One vendor connection under test: the ``VendorHttp``, what was sent, what was waited."""

    def __init__(self, name: str, classify: Callable[[httpx.Response], None], answers: list[Answer], tracer) -> None:
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []
        self._answers = answers
        self.client = httpx.AsyncClient(
            transport=httpx.MockTransport(self._answer), base_url=f"http://vendor.test/sandbox/{name}"
        )
        self.guard = Guard(name, policy=FAST, sleep=self._sleep)
        self.http = VendorHttp(name, self.client, self.guard, classify, tracer=tracer)

    def _answer(self, request: httpx.Request) -> httpx.Response:
        """The queued answers in turn; the last one repeats."""
        self.requests.append(request)
        answer = self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(exporter: InMemorySpanExporter):
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


@pytest.fixture
async def wire(tracer) -> AsyncIterator[Callable[..., Wire]]:
    """``wire(name, classify, *answers)``: a ``Wire`` answering with ``answers``."""
    made: list[Wire] = []

    def make(name: str, classify: Callable[[httpx.Response], None], *answers: Answer) -> Wire:
        made.append(Wire(name, classify, list(answers), tracer))
        return made[-1]

    yield make
    for w in made:
        await w.client.aclose()


@pytest.fixture
async def ports() -> AsyncIterator["SandboxPorts"]:
    """The order and return adapters over an in-process sandbox (autoship off)."""
    from tests.system_apis.sandbox_ports import SandboxPorts

    p = SandboxPorts()
    yield p
    await p.aclose()
