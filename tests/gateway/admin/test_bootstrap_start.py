"""HUB_BOOTSTRAP_ADMIN_KEY at start: the admin key exists after every start, made only once."""

from __future__ import annotations

from contextlib import AsyncExitStack

from tests.conftest import ADMIN_KEY, make_settings, start_hub
from tests.gateway.support import api


async def start_and_list(database_url: str) -> list[dict]:
    """Start the hub, list the keys as the bootstrap admin, stop it."""
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(database_url))
        response = await hub.http.get("/admin/v1/keys", headers=api(ADMIN_KEY))
        assert response.status_code == 200, response.text
        return response.json()["items"]


async def test_the_bootstrap_admin_key_works_after_each_start_and_is_made_once(database_url: str) -> None:
    first = await start_and_list(database_url)
    admins = [k for k in first if k["consumer"] == "bootstrap-admin" and k["status"] == "active"]
    assert admins and all(k["scopes"] == ["admin"] for k in admins)
    for _ in range(2):
        again = await start_and_list(database_url)
        assert sorted(k["id"] for k in again) == sorted(k["id"] for k in first)
