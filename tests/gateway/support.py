"""Helpers for tests that speak HTTP to an in-process hub (gateway and experience APIs)."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable

import httpx
import pytest

from tests.conftest import ADMIN_KEY, Hub

PROBLEM_FIELDS = {"type", "title", "status", "detail", "code", "trace_id"}
LEAK_MARKERS = ("Traceback", 'File "', "sqlalchemy", "SELECT ", "service_unavailable")


def api(key: str, **headers: str) -> dict[str, str]:
    """Request headers carrying an API key (plus any others)."""
    return {"X-API-Key": key, **headers}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """An RFC 9457 problem with our fields, this status and code, and nothing leaked."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert PROBLEM_FIELDS <= body.keys(), body
    assert body["status"] == status and body["code"] == code, body
    assert body["type"].endswith(code)
    assert len(body["trace_id"]) == 32 and int(body["trace_id"], 16) >= 0
    for marker in LEAK_MARKERS:
        assert marker not in response.text, response.text
    return body


def assert_field_errors(response: httpx.Response, *fields: str) -> list[dict[str, str]]:
    """A 422 validation problem whose `errors` name each of `fields`."""
    body = assert_problem(response, 422, "validation_failed")
    errors = body["errors"]
    assert errors and all(set(e) == {"field", "message"} and e["message"] for e in errors), errors
    named = {e["field"] for e in errors}
    assert set(fields) <= named, errors
    return errors


async def create_key(hub: Hub, *scopes: str, **fields: Any) -> dict[str, Any]:
    """POST /admin/v1/keys as the bootstrap admin; the created key (with its secret)."""
    body = {"consumer": fields.pop("consumer", "test-consumer"), "scopes": list(scopes), **fields}
    response = await hub.http.post("/admin/v1/keys", json=body, headers=api(ADMIN_KEY))
    assert response.status_code == 201, response.text
    return response.json()


async def status_with(hub: Hub, key: str, path: str = "/admin/v1/plans") -> int:
    """The status a request with `key` gets (default: a cheap authenticated route)."""
    return (await hub.http.get(path, headers=api(key))).status_code


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float) -> float:
    """Poll `condition` until it holds; the seconds it took. Fails after `timeout`."""
    started = time.monotonic()
    while not await condition():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"condition not met within {timeout} s")
        await asyncio.sleep(0.02)  # polling interval, bounded by the deadline
    return time.monotonic() - started


@pytest.fixture(params=["hub", pytest.param("pg_hub", marks=pytest.mark.postgres)])
def either_hub(request: pytest.FixtureRequest) -> Hub:
    """The one-process hub on SQLite, then on the real PostgreSQL (import it into a conftest)."""
    return request.getfixturevalue(request.param)


@pytest.fixture(params=["sqlite_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database: SQLite per test, or the session's PostgreSQL (import it into a conftest)."""
    return request.getfixturevalue(request.param)
