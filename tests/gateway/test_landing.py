"""GET / on the edge (gateway/landing.py): a short JSON answer pointing to the portal,
the console and health, on every role that serves the edge; other unknown paths stay 404."""

from __future__ import annotations

from contextlib import AsyncExitStack
from importlib.metadata import version

import pytest

from tests.conftest import Hub, make_settings, start_hub
from tests.gateway.support import assert_problem


def assert_landing(response) -> dict:  # noqa: ANN001
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["name"] == "Commerce Hub" and body["version"] == version("commerce-hub")
    assert {"docs": "/docs", "console": "/console"}.items() <= body["links"].items()
    assert body["links"]["health"].startswith("/health/")
    return body


async def test_get_root_points_to_docs_console_and_health(hub: Hub) -> None:
    body = assert_landing(await hub.http.get("/"))
    health = await hub.http.get(body["links"]["health"])
    assert health.status_code == 200  # the link it gives works


async def test_head_root_is_the_same_answer_without_a_body(hub: Hub) -> None:
    get, head = await hub.http.get("/"), await hub.http.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == get.headers["content-length"] == str(len(get.content))


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
async def test_other_methods_on_root_are_405_with_allow(hub: Hub, method: str) -> None:
    response = await hub.http.request(method, "/", content=b"{}")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("path", ["/no/such/path", "/index.html", "/docsx", "/%2F"])
async def test_any_other_unknown_path_is_still_the_404_problem(hub: Hub, path: str) -> None:
    assert_problem(await hub.http.get(path), 404, "not_found")


async def test_the_split_gateway_role_answers_root_too(sqlite_url: str) -> None:
    settings = make_settings(sqlite_url, experience_url="http://127.0.0.1:9")  # never called for /
    async with AsyncExitStack() as stack:
        gateway = await start_hub(stack, settings, role="gateway")
        assert_landing(await gateway.http.get("/"))
