"""One contract suite per port, run over every registered adapter of its role against that
adapter's own sandbox backend (seed data of CONTRACT section 9), in process.

A new vendor kind in ``system_apis/registry.py`` joins each suite of the roles it serves with
no change here: ``adapters(role)`` parametrizes over the registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from shared.resilience import Guard, RetryPolicy
from system_apis.registry import KINDS, VendorKind
from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.vendor_http import VendorHttp


def kinds(role: str) -> list:
    return [pytest.param(kind, id=kind.name) for kind in KINDS.values() if role in kind.adapters]


async def _no_wait(seconds: float) -> None:
    """Retries happen at once."""


@dataclass
class Subject:
    """An adapter of ``kind`` over its sandbox, and the sandbox's control client."""

    kind: VendorKind
    app: Litestar
    control: httpx.AsyncClient
    make: object

    def adapter(self, role: str) -> object:
        return self.kind.adapters[role](self.make)  # type: ignore[arg-type]

    async def views(self, path: str, **params: str) -> list[dict]:
        response = await self.control.get(f"/sandbox/{self.kind.sandbox.name}/{path}", params=params)
        response.raise_for_status()
        return response.json()["items"]


@pytest.fixture
async def subject(request: pytest.FixtureRequest) -> AsyncIterator[Subject]:
    kind: VendorKind = request.param
    app = create_sandbox_app(SandboxConfig(autoship_seconds=0))
    transport = httpx.ASGITransport(app=app)
    name = kind.sandbox.name
    client = httpx.AsyncClient(transport=transport, base_url=f"http://sandbox/sandbox/{name}",
                               headers=kind.auth(kind.sandbox_credential))
    control = httpx.AsyncClient(transport=transport, base_url="http://sandbox")
    http = VendorHttp(name, client, Guard(name, policy=RetryPolicy(max_attempts=3), sleep=_no_wait), kind.classify)
    yield Subject(kind=kind, app=app, control=control, make=http)
    await client.aclose()
    await control.aclose()
    await app.state.sandbox.aclose()
