"""The internal RPC (shared/rpc.py): a port served by RpcApp and called through rpc_client."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Protocol

import httpx
import msgspec
import pytest

from shared.errors import (BackendThrottled, BackendUnavailable, BusinessRuleViolation, CircuitOpen, HubError,
                           NotFound, ValidationFailed)
from shared.resilience import deadline_scope, remaining_deadline
from shared.rpc import RpcApp, rpc_client


class Line(msgspec.Struct, frozen=True):
    sku: str
    quantity: int


class Quote(msgspec.Struct, frozen=True, kw_only=True):
    sku: str
    quantity: int
    price: Decimal
    customer: str | None = None
    tags: tuple[str, ...] = ()


class Quoter(Protocol):
    async def quote(self, sku: str, quantity: int = 1, customer: str | None = None) -> Quote: ...

    async def quotes(self, lines: list[Line]) -> list[Quote]: ...

    async def fail(self, kind: str) -> Quote: ...

    async def deadline(self) -> float | None: ...


ERRORS: dict[str, HubError] = {
    "unknown_sku": NotFound("unknown SKU X", code="unknown_sku"),
    "unknown_customer": BusinessRuleViolation("who?", code="unknown_customer"),
    "throttled": BackendThrottled("ERP says slow down", retry_after=2.5, backend="erp"),
    "circuit": CircuitOpen("ERP paused", retry_after=30.0, backend="erp"),
    "invalid": ValidationFailed(errors=[{"field": "sku", "message": "too long"}]),
}


class LocalQuoter:
    async def quote(self, sku: str, quantity: int = 1, customer: str | None = None) -> Quote:
        return Quote(sku=sku, quantity=quantity, price=Decimal("19.99") * quantity, customer=customer, tags=("a", "b"))

    async def quotes(self, lines: list[Line]) -> list[Quote]:
        return [await self.quote(line.sku, line.quantity) for line in lines]

    async def fail(self, kind: str) -> Quote:
        if kind == "bug":
            raise RuntimeError("a bug, with a secret in it")
        raise ERRORS[kind]

    async def deadline(self) -> float | None:
        return remaining_deadline()


def client_for(app: object, raise_app_exceptions: bool = True) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://process")


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(RpcApp({"quoter": (Quoter, LocalQuoter())}), raise_app_exceptions=False) as client:
        yield client


@pytest.fixture
def remote(http: httpx.AsyncClient) -> Quoter:
    return rpc_client(Quoter, "quoter", http)


@pytest.mark.parametrize(("args", "kwargs"), [(("SKU-1",), {}), (("SKU-1", 3), {"customer": "CUST-ACME"}),
                                              ((), {"sku": "SKU-2", "quantity": 2})])
async def test_a_call_round_trips_to_the_same_struct_as_in_process(remote: Quoter, args: tuple, kwargs: dict) -> None:
    assert await remote.quote(*args, **kwargs) == await LocalQuoter().quote(*args, **kwargs)


async def test_lists_of_structs_travel_both_ways(remote: Quoter) -> None:
    lines = [Line("SKU-1", 1), Line("SKU-2", 5)]
    result = await remote.quotes(lines)
    assert result == await LocalQuoter().quotes(lines) and all(isinstance(q, Quote) for q in result)


@pytest.mark.parametrize("kind", sorted(ERRORS))
async def test_a_hub_error_is_raised_again_as_the_same_class_and_code(remote: Quoter, kind: str) -> None:
    original = ERRORS[kind]
    with pytest.raises(HubError) as caught:
        await remote.fail(kind)
    error = caught.value
    assert (type(error), error.code, error.status, error.detail) == (
        type(original), original.code, original.status, original.detail)
    assert error.errors == original.errors


@pytest.mark.parametrize("kind", ["throttled", "circuit"])
async def test_retry_after_and_backend_survive_the_trip(remote: Quoter, kind: str) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        await remote.fail(kind)
    assert caught.value.retry_after == ERRORS[kind].retry_after  # type: ignore[attr-defined]
    assert caught.value.backend == "erp"


async def test_the_callers_deadline_travels_and_bounds_the_callee(remote: Quoter) -> None:
    ceiling = await remote.deadline()  # no caller deadline: the server's ceiling of 30 s
    assert ceiling is not None and 29 < ceiling <= 30
    with deadline_scope(1.5):
        left = await remote.deadline()
    assert left is not None and 0 < left <= 1.5


async def test_arguments_of_the_wrong_type_are_a_422_validation_failure(remote: Quoter, http: httpx.AsyncClient) -> None:
    with pytest.raises(ValidationFailed):
        await remote.quote("SKU-1", "three")  # type: ignore[arg-type]
    response = await http.post("/rpc/quoter/quote", json={"quantity": 1})  # sku missing
    assert response.status_code == 422 and response.json()["code"] == "validation_failed"


async def test_a_body_that_is_not_json_is_a_client_error_not_a_crash(http: httpx.AsyncClient) -> None:
    response = await http.post("/rpc/quoter/quote", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code in (400, 422), response.status_code
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("method", "path"), [("POST", "/rpc/quoter/nothing"), ("POST", "/rpc/other/quote"),
                                              ("GET", "/rpc/quoter/quote")])
async def test_unknown_methods_and_services_are_404(http: httpx.AsyncClient, method: str, path: str) -> None:
    response = await http.request(method, path)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


async def test_an_unexpected_server_failure_is_backend_unavailable_without_its_text(remote: Quoter) -> None:
    with pytest.raises(BackendUnavailable) as caught:
        await remote.fail("bug")
    assert "secret" not in str(caught.value) and caught.value.backend == "quoter-api"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_an_unreachable_server_is_backend_unavailable() -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{_closed_port()}", timeout=2) as http:
        with pytest.raises(BackendUnavailable) as caught:
            await rpc_client(Quoter, "quoter", http).quote("SKU-1")
    assert caught.value.backend == "quoter-api"
