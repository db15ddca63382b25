"""Every ``ErpPort`` adapter wired to its own sandbox backend, in process, the same way.

A ``Kind`` says how one vendor is wired (its sandbox backend, classifier, auth
headers) and gives two of its vendor's error answers for the mapping tests: a
refusal whose text must never reach the hub's errors, and a throttle.
``ScriptedTransport`` can lose a POST's answer after the sandbox handled it, or
answer the next request itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shared.resilience import Guard, RetryPolicy
from system_apis.erp import client as clouderp
from system_apis.legacy_erp import client as legacy
from system_apis.legacy_erp import soap
from system_apis.netsuite import client as netsuite
from system_apis.quickbooks import client as quickbooks
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.vendor_http import VendorHttp

VENDOR_SECRET = "vendor-internal-text-7f3a"


@dataclass(frozen=True)
class Kind:
    name: str
    backend: str
    classify: Callable[[httpx.Response], None]
    make: Callable[[VendorHttp], Any]
    refusal: httpx.Response
    throttle_in_body: httpx.Response
    throttle_default_wait: float | None
    headers: dict[str, str] = field(default_factory=dict)


def _qbo_fault(status: int, code: str, type_: str) -> httpx.Response:
    error = {"Message": f"Business Validation Error {VENDOR_SECRET}", "Detail": VENDOR_SECRET, "code": code}
    return httpx.Response(status, json={"Fault": {"Error": [error], "type": type_}, "time": "2026-12-06T10:00:00-08:00"})


def _netsuite_error(status: int, code: str) -> httpx.Response:
    detail = {"detail": f"Error while accessing a resource. {VENDOR_SECRET}", "o:errorCode": code}
    return httpx.Response(status, json={"type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
                                        "title": "Bad Request", "status": status, "o:errorDetails": [detail]})


KINDS = (
    Kind(
        name="clouderp", backend="erp", classify=clouderp.classify, make=clouderp.ErpHttpAdapter,
        refusal=httpx.Response(400, json={"error": {"code": "INVALID_FLD_VALUE", "message": VENDOR_SECRET}}),
        throttle_in_body=httpx.Response(400, json={"error": {"code": "SSS_REQUEST_LIMIT_EXCEEDED",
                                                             "message": VENDOR_SECRET}}),
        throttle_default_wait=None,
    ),
    Kind(
        name="quickbooks", backend="quickbooks", classify=quickbooks.classify, make=quickbooks.QuickBooksErpAdapter,
        refusal=_qbo_fault(400, "6000", "ValidationFault"),
        throttle_in_body=_qbo_fault(429, "003001", "ThrottlingFault"),
        throttle_default_wait=quickbooks.THROTTLE_WINDOW,
        headers=quickbooks.auth_headers(),
    ),
    Kind(
        name="legacy_erp", backend="legacy_erp", classify=legacy.classify, make=legacy.LegacyErpAdapter,
        refusal=httpx.Response(500, content=soap.fault("Client", VENDOR_SECRET, "INVALID_FIELD"),
                               headers={"Content-Type": "text/xml"}),
        throttle_in_body=httpx.Response(500, content=soap.fault("Server", VENDOR_SECRET, "SESSION_LIMIT_REACHED"),
                                        headers={"Content-Type": "text/xml"}),
        throttle_default_wait=None,
    ),
    Kind(
        name="netsuite", backend="netsuite", classify=netsuite.classify, make=netsuite.NetSuiteErpAdapter,
        refusal=_netsuite_error(400, "USER_ERROR"),
        throttle_in_body=_netsuite_error(429, "CONCURRENCY_LIMIT_EXCEEDED"),
        throttle_default_wait=netsuite.THROTTLE_WAIT,
        headers=netsuite.auth_headers(),
    ),
)


class ScriptedTransport(httpx.AsyncBaseTransport):
    """Passes requests to ``inner``; ``lose`` drops POST answers after the work was done;
    ``scripted`` answers the next requests without reaching the sandbox."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0
        self.scripted: list[httpx.Response] = []
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        if self.scripted:
            answer = self.scripted.pop(0)
            return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content, request=request)
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and self.lose > 0:
            self.lose -= 1
            await response.aread()
            raise httpx.ReadTimeout("the answer was lost on the way back", request=request)
        return response

    def posts(self) -> list[httpx.Request]:
        return [r for r in self.sent if r.method == "POST"]


class ErpUnderTest:
    """One adapter over its sandbox; retries are immediate and their waits recorded in ``waits``.
    Any port's kind serves (``backend``, ``headers``, ``classify``, ``make``); ``port`` is the adapter."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind
        self.app = create_sandbox_app(SandboxConfig(autoship_seconds=0, seed=7))
        self.transport = ScriptedTransport(httpx.ASGITransport(app=self.app))
        self.waits: list[float] = []
        self.client = httpx.AsyncClient(transport=self.transport, headers=kind.headers,
                                        base_url=f"http://sandbox/sandbox/{kind.backend}")
        self.guard = Guard(kind.backend, policy=RetryPolicy(max_attempts=3, budget=600.0), sleep=self._wait)
        self.erp = kind.make(VendorHttp(kind.backend, self.client, self.guard, kind.classify))
        self.port = self.erp
        self.control = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://sandbox")

    async def _wait(self, seconds: float) -> None:
        self.waits.append(seconds)

    async def faults(self, **switch: object) -> None:
        (await self.control.put(f"/sandbox/{self.kind.backend}/faults", json=switch)).raise_for_status()

    async def heal(self) -> None:
        """Clear the faults and close the circuit, as the one-process hub does when it hears of it."""
        (await self.control.delete(f"/sandbox/{self.kind.backend}/faults")).raise_for_status()
        self.guard.breaker.reset("the sandbox faults were cleared")

    async def view(self, what: str, **params: str) -> list[dict]:
        """A read-only view of what the backend booked: ``sales-orders`` or ``credit-memos``."""
        response = await self.control.get(f"/sandbox/{self.kind.backend}/{what}", params=params)
        response.raise_for_status()
        return response.json()["items"]

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.control.aclose()
        await self.app.state.sandbox.aclose()
