"""RFC 9457 problems (shared/problems.py): the document, the headers, the Litestar translator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar, get, post

from shared.errors import (BackendError, BackendThrottled, BackendUnavailable, BadRequest, CircuitOpen, HubError,
                           NotFound, RateLimited, Starting, Unauthorized, ValidationFailed, error_class_for)
from shared.problems import (DEFAULT_RETRY_AFTER_SECONDS, litestar_exception_handlers, problem_document,
                             problem_headers, validation_errors)


def test_a_problem_names_type_title_status_detail_code_and_trace() -> None:
    doc = problem_document(NotFound("unknown SKU X", code="unknown_sku"), "/v1/x")
    assert doc.keys() == {"type", "title", "status", "detail", "code", "trace_id", "instance"}
    assert (doc["type"], doc["status"], doc["code"], doc["detail"], doc["instance"]) == (
        "/docs/problems/unknown_sku", 404, "unknown_sku", "unknown SKU X", "/v1/x")
    assert len(doc["trace_id"]) == 32


def test_errors_and_retry_after_are_added_other_extras_are_not() -> None:
    errors = [{"field": "lines", "message": "too many"}]
    assert problem_document(ValidationFailed(errors=errors))["errors"] == errors
    doc = problem_document(HubError("x", retry_after=3, password="hunter2"))
    assert doc["retry_after"] == 3 and "password" not in doc


def test_the_detail_defaults_to_the_title() -> None:
    assert problem_document(BadRequest())["detail"] == "Bad request"


def test_a_401_says_how_to_authenticate() -> None:
    assert "ApiKey" in problem_headers(Unauthorized())["WWW-Authenticate"]
    assert "WWW-Authenticate" not in problem_headers(NotFound())


@pytest.mark.parametrize(("error", "expected"), [
    (BackendThrottled("slow", retry_after=2.4), "3"), (BackendThrottled("slow", retry_after=0.2), "1"),
    (CircuitOpen("paused", retry_after=12.01), "13"), (CircuitOpen("paused", retry_after=30), "30"),
    (RateLimited(headers={"Retry-After": "7"}), "7"),
])
def test_retry_after_is_whole_seconds_rounded_up_of_at_least_one(error: HubError, expected: str) -> None:
    assert problem_headers(error)["Retry-After"] == expected


@pytest.mark.parametrize("error", [BackendUnavailable("ERP down", backend="erp"), Starting(), CircuitOpen("paused"),
                                   error_class_for(503, "backend_unavailable")("over RPC")])
def test_every_503_says_when_to_retry_the_default_when_the_error_does_not(error: HubError) -> None:
    assert problem_headers(error)["Retry-After"] == str(DEFAULT_RETRY_AFTER_SECONDS)


def test_a_retry_after_carried_in_extra_is_used() -> None:
    error = Starting("starting", retry_after=2.5)  # not a BackendUnavailable: the value rides in `extra`
    assert problem_headers(error)["Retry-After"] == "3"


@pytest.mark.parametrize("error", [BackendError("no"), NotFound(), BadRequest()])
def test_no_retry_after_when_retrying_will_not_help(error: HubError) -> None:
    assert "Retry-After" not in problem_headers(error)


@pytest.mark.parametrize(("extra", "expected"), [
    ([{"key": "lines[0].quantity", "message": "Expected `int` >= 1"}],
     [{"field": "lines[0].quantity", "message": "Expected `int` >= 1"}]),
    ([{"key": "data", "message": "Object missing required field `lines`"}],
     [{"field": "lines", "message": "Object missing required field `lines`"}]),
    ([{"key": "lines[0]", "message": "Object missing required field `sku`"}],
     [{"field": "lines[0].sku", "message": "Object missing required field `sku`"}]),
    ([{"key": "data", "message": "Expected `object`, got `array`"}],
     [{"field": "body", "message": "Expected `object`, got `array`"}]),
    (None, None), ([], None), (["not a dict"], None),
])
def test_litestar_validation_details_become_field_errors(extra: object, expected: object) -> None:
    assert validation_errors(extra) == expected


class Body(msgspec.Struct):
    quantity: int


@get("/hub-error")
async def raise_hub_error() -> None:
    raise NotFound("no such thing", code="unknown_sku")


@get("/bug")
async def raise_bug() -> None:
    raise RuntimeError("password=hunter2 at SELECT * FROM api_keys")


@post("/body")
async def take_body(data: Body) -> dict:
    return {"quantity": data.quantity}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Litestar([raise_hub_error, raise_bug, take_body], exception_handlers=litestar_exception_handlers(),
                   debug=False, logging_config=None, openapi_config=None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        yield c


def problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code and body["status"] == status
    return body


async def test_a_hub_error_is_answered_as_itself(client: httpx.AsyncClient) -> None:
    assert problem(await client.get("/hub-error"), 404, "unknown_sku")["detail"] == "no such thing"


async def test_an_unexpected_error_is_a_bare_500_that_leaks_nothing(client: httpx.AsyncClient) -> None:
    response = await client.get("/bug")
    body = problem(response, 500, "internal_error")
    assert body["detail"] == "An unexpected error occurred."
    assert "hunter2" not in response.text and "SELECT" not in response.text and "Traceback" not in response.text


@pytest.mark.parametrize(("content", "status", "code"), [
    (b'{"quantity": "x"}', 422, "validation_failed"), (b"{}", 422, "validation_failed"),
    (b"{nope", 400, "malformed_json"), (b'{"quantity": 1', 400, "malformed_json"),
])
async def test_a_bad_body_is_400_or_422(client: httpx.AsyncClient, content: bytes, status: int, code: str) -> None:
    response = await client.post("/body", content=content, headers={"content-type": "application/json"})
    body = problem(response, status, code)
    if status == 422:
        assert body["errors"] and body["errors"][0]["field"] == "quantity"


async def test_an_unknown_route_and_method_are_problems(client: httpx.AsyncClient) -> None:
    problem(await client.get("/nowhere"), 404, "not_found")
    problem(await client.delete("/hub-error"), 405, "method_not_allowed")


def test_a_missing_query_parameter_is_a_422_naming_it_not_malformed_json() -> None:
    """It was 400 `malformed_json` ("the body is not valid JSON") on a GET with no body."""
    from litestar import Litestar, get
    from litestar.testing import TestClient

    from shared.problems import litestar_exception_handlers

    @get("/lookup")
    async def lookup(ref: str) -> dict:
        return {"ref": ref}

    with TestClient(Litestar([lookup], exception_handlers=litestar_exception_handlers())) as client:
        response = client.get("/lookup")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert response.json()["errors"] == [{"field": "ref", "message": "missing required query parameter"}]
