"""Internal RPC calls in batches (shared/rpc_batch.py): concurrent calls share one request and
each answers exactly as it would alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.errors import BackendUnavailable, HubError
from shared.resilience import deadline_scope
from shared.rpc import RpcApp, rpc_client
from shared.rpc_batch import BATCH_PATH, RpcBatcher
from tests.shared.test_rpc import ERRORS, LocalQuoter, Quoter, _closed_port, client_for


class Counting:
    """The RPC app, counting the requests it is sent by path; ``batches=False``: an older server."""

    def __init__(self, batches: bool = True) -> None:
        self.app = RpcApp({"quoter": (Quoter, LocalQuoter())})
        self.paths: list[str] = []
        self.batches = batches

    async def __call__(self, scope: dict, receive, send) -> None:  # noqa: ANN001
        self.paths.append(scope["path"])
        if scope["path"] == BATCH_PATH and not self.batches:
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


@pytest.fixture
def server() -> Counting:
    return Counting()


@pytest.fixture
async def remote(server: Counting) -> AsyncIterator[Quoter]:
    async with client_for(server, raise_app_exceptions=False) as http:
        yield rpc_client(Quoter, "quoter", http, batcher=RpcBatcher(http))


async def test_concurrent_calls_travel_in_one_request_and_each_gets_its_own_answer(remote: Quoter,
                                                                                     server: Counting) -> None:
    answers = await asyncio.gather(*(remote.quote(f"SKU-{n}", n) for n in range(1, 21)))
    assert answers == [await LocalQuoter().quote(f"SKU-{n}", n) for n in range(1, 21)]
    assert server.paths == [BATCH_PATH]


async def test_a_failing_call_raises_its_own_error_and_its_neighbours_succeed(remote: Quoter) -> None:
    kinds = sorted(ERRORS)
    results = await asyncio.gather(remote.quote("SKU-1"), *(remote.fail(k) for k in kinds), remote.quote("SKU-2"),
                                   return_exceptions=True)
    assert results[0] == await LocalQuoter().quote("SKU-1") and results[-1] == await LocalQuoter().quote("SKU-2")
    for kind, error in zip(kinds, results[1:-1], strict=True):
        original = ERRORS[kind]
        assert isinstance(error, HubError)
        assert (type(error), error.code, error.detail, error.errors) == (
            type(original), original.code, original.detail, original.errors)
        assert getattr(error, "retry_after", None) == getattr(original, "retry_after", None)


async def test_an_unexpected_failure_is_that_calls_backend_unavailable_only(remote: Quoter) -> None:
    bug, fine = await asyncio.gather(remote.fail("bug"), remote.quote("SKU-1"), return_exceptions=True)
    assert isinstance(bug, BackendUnavailable) and "secret" not in str(bug) and bug.backend == "quoter-api"
    assert fine == await LocalQuoter().quote("SKU-1")


async def test_each_call_keeps_its_own_deadline(remote: Quoter) -> None:
    async def within(seconds: float | None) -> float | None:
        if seconds is None:
            return await remote.deadline()
        with deadline_scope(seconds):
            return await remote.deadline()

    short, long, none = await asyncio.gather(within(1.5), within(20.0), within(None))
    assert short is not None and 0 < short <= 1.5
    assert long is not None and 1.5 < long <= 20.0
    assert none is not None and 29 < none <= 30


async def test_a_server_without_the_batch_path_gets_the_calls_one_by_one() -> None:
    server = Counting(batches=False)
    async with client_for(server, raise_app_exceptions=False) as http:
        remote = rpc_client(Quoter, "quoter", http, batcher=RpcBatcher(http))
        first = await asyncio.gather(remote.quote("SKU-1"), remote.quote("SKU-2", 2))
        second = await remote.quote("SKU-3")
    assert first == [await LocalQuoter().quote("SKU-1"), await LocalQuoter().quote("SKU-2", 2)]
    assert second == await LocalQuoter().quote("SKU-3")
    assert server.paths[0] == BATCH_PATH and server.paths.count(BATCH_PATH) == 1  # asked once, then never again
    assert sorted(server.paths[1:]) == ["/rpc/quoter/quote"] * 3


async def test_an_unreachable_server_is_backend_unavailable_for_every_call() -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{_closed_port()}", timeout=2) as http:
        remote = rpc_client(Quoter, "quoter", http, batcher=RpcBatcher(http))
        results = await asyncio.gather(remote.quote("SKU-1"), remote.quote("SKU-2"), return_exceptions=True)
    assert all(isinstance(r, BackendUnavailable) and r.backend == "quoter-api" for r in results)


async def test_a_malformed_batch_is_a_problem_not_a_crash(server: Counting) -> None:
    async with client_for(server, raise_app_exceptions=False) as http:
        response = await http.post(BATCH_PATH, json={"calls": [{"args": {}}]})
    assert response.status_code == 422 and response.headers["content-type"] == "application/problem+json"
