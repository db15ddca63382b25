"""Fixtures of the sandbox tests: a fresh app per test, called in-process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest
from litestar import Litestar

from system_apis.sandbox.app import create_sandbox_app
from system_apis.sandbox.config import SandboxConfig
from system_apis.sandbox.runtime import Sandbox

Eventually = Callable[[Callable[[], bool]], Awaitable[None]]


@pytest.fixture
def app() -> Litestar:
    return create_sandbox_app(SandboxConfig(seed=7))


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An in-process client, as the hub uses it: no lifespan runs."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sandbox") as c:
        yield c
    sandbox: Sandbox = app.state.sandbox
    await sandbox.aclose()


@pytest.fixture
def eventually() -> Eventually:
    """Poll a condition until it holds, failing after two seconds."""

    async def wait(condition: Callable[[], bool], timeout: float = 2.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                pytest.fail("condition not met in time")
            await asyncio.sleep(0.01)

    return wait
