"""Self-service sandbox keys (``POST /docs/sandbox-keys``) through the edge of an in-process
hub: what a key holds, bad input, the per-source limit, production (no such path, no form),
and the webhooks guide's receiver run as a reader copies it."""

from __future__ import annotations

import asyncio
import base64
import html
import os
import re
import subprocess
import sys
import time
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
from standardwebhooks import Webhook

from shared.settings import SettingsError, load_settings
from tests.conftest import ADMIN_KEY, Hub, make_settings, start_hub
from tests.e2e.conftest import free_port
from tests.production_env import PRODUCTION

PATH = "/docs/sandbox-keys"
PARTNER = {"channel": "partner", "customer": "CUST-BOLT", "consumer": "bolt-edi"}
PARTNER_SCOPES = ["catalog:read", "orders:read", "orders:write", "returns:read", "returns:write", "webhooks:manage"]


@pytest.fixture
async def sandbox(sqlite_url: str) -> AsyncIterator[Hub]:
    async with AsyncExitStack() as stack:
        yield await start_hub(stack, make_settings(sqlite_url, sandbox_keys_per_source="3/minute"))


def assert_problem(answer, status: int, code: str) -> dict:  # noqa: ANN001
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["status"], problem["code"], problem["type"]) == (status, code, f"/docs/problems/{code}")
    return problem


async def test_a_partner_key_is_bound_to_its_sandbox_customer_with_the_partner_scopes_for_a_week(sandbox: Hub) -> None:
    answer = await sandbox.http.post(PATH, json=PARTNER)
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    key = answer.json()
    assert (key["consumer"], key["customer"], key["plan"], key["status"]) == (
        "sandbox-bolt-edi", "CUST-BOLT", "partner", "active")
    assert key["scopes"] == PARTNER_SCOPES
    lifetime = datetime.fromisoformat(key["expires_at"]) - datetime.fromisoformat(key["created_at"])
    assert lifetime == timedelta(days=7)
    # made by the admin API's key service: the operators see it, never with its secret
    listed = await sandbox.http.get(f"/admin/v1/keys/{key['id']}", headers={"X-API-Key": ADMIN_KEY})
    assert listed.status_code == 200 and "key" not in listed.json() and listed.json()["customer"] == "CUST-BOLT"
    # it works at once, as its customer: Bolt's price list, and Bolt's webhooks
    prices = await sandbox.http.get("/v1/partner/price-list", headers={"X-API-Key": key["key"]})
    assert prices.status_code == 200, prices.text
    assert prices.json()["items"]
    hooks = await sandbox.http.get("/v1/partner/webhooks", headers={"X-API-Key": key["key"]})
    assert hooks.status_code == 200, hooks.text
    # and nothing beyond: no admin, no acting for another customer
    refused = await sandbox.http.get("/admin/v1/keys", headers={"X-API-Key": key["key"]})
    assert_problem(refused, 403, "insufficient_scope")


async def test_a_storefront_key_acts_for_any_customer_on_the_default_plan(sandbox: Hub) -> None:
    answer = await sandbox.http.post(PATH, json={"channel": "storefront", "consumer": "web-shop"})
    assert answer.status_code == 201, answer.text
    key = answer.json()
    assert (key["customer"], key["plan"]) == (None, "standard")
    assert set(key["scopes"]) == {"catalog:read", "orders:write", "orders:read", "returns:write", "returns:read",
                                  "customers:any"}
    product = await sandbox.http.get("/v1/storefront/products/SKU-1001?customer_id=CUST-ACME",
                                     headers={"X-API-Key": key["key"]})
    assert product.status_code == 200, product.text


@pytest.mark.parametrize("body,field", [
    ({"channel": "admin", "consumer": "x"}, "channel"),
    ({"channel": "partner", "customer": "CUST-EVIL", "consumer": "x"}, "customer"),
    ({"channel": "partner", "customer": "CUST-ACME"}, "consumer"),
    ({"channel": "partner", "consumer": "x"}, "customer"),  # a partner key is always bound
    ({"channel": "storefront", "customer": "CUST-ACME", "consumer": "x"}, "customer"),
    ({**PARTNER, "consumer": "no spaces or <tags>"}, "consumer"),
    ({**PARTNER, "consumer": "x" * 49}, "consumer"),
    ({**PARTNER, "scopes": ["admin"]}, "scopes"),  # nobody picks their own scopes
])
async def test_bad_input_is_a_422_naming_the_field(sandbox: Hub, body: dict, field: str) -> None:
    problem = assert_problem(await sandbox.http.post(PATH, json=body), 422, "validation_failed")
    [error] = problem["errors"]
    assert error["field"] == field or f"`{field}`" in error["message"]  # an unknown field: named in the message


async def test_a_body_that_is_not_json_is_a_422(sandbox: Hub) -> None:
    assert_problem(await sandbox.http.post(PATH, content=b"channel=partner"), 422, "validation_failed")


async def test_one_address_gets_its_budget_then_429_with_retry_after(sandbox: Hub) -> None:
    statuses = [(await sandbox.http.post(PATH, json={**PARTNER, "consumer": f"app-{n}"})).status_code
                for n in range(3)]
    assert statuses == [201, 201, 201]
    refused = await sandbox.http.post(PATH, json=PARTNER)
    assert_problem(refused, 429, "rate_limited")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    keys = (await sandbox.http.get("/admin/v1/keys", headers={"X-API-Key": ADMIN_KEY})).json()["items"]
    assert sum(k["consumer"].startswith("sandbox-") for k in keys) == 3  # the refused one made nothing


async def test_only_post_is_answered(sandbox: Hub) -> None:
    answer = await sandbox.http.get(PATH)
    assert answer.status_code == 405 and answer.headers["allow"] == "POST"


async def test_the_sandbox_home_page_offers_the_form(sandbox: Hub) -> None:
    home = (await sandbox.http.get("/docs")).text
    assert 'id="sandbox-key-form"' in home and "CUST-ACME" in home and "CUST-BOLT" in home


def test_the_limit_setting_is_checked() -> None:
    with pytest.raises(SettingsError, match="^HUB_SANDBOX_KEYS_PER_SOURCE:"):
        load_settings(env={"HUB_SANDBOX_KEYS_PER_SOURCE": "lots"}, toml_path="/nonexistent")


async def test_in_production_the_path_is_404_and_the_portal_offers_no_form(sqlite_url: str) -> None:
    production = {k.removeprefix("HUB_").lower(): v for k, v in PRODUCTION.items() if k != "HUB_SANDBOX"}
    async with AsyncExitStack() as stack:
        hub = await start_hub(stack, make_settings(sqlite_url, sandbox=False, **production))
        refused = await hub.http.post(PATH, json=PARTNER)
        home = (await hub.http.get("/docs")).text
        guide = (await hub.http.get("/docs/webhooks")).text
    assert_problem(refused, 404, "not_found")
    assert "sandbox-key" not in home and "Get a sandbox key" not in home
    assert "first-webhook" not in guide


def example(page: str, label: str) -> str:
    """The text of the guide's copyable example named `label`, as a reader copies it."""
    found = re.search(rf'<span>{re.escape(label)}</span>.*?<pre><code[^>]*>(.*?)</code></pre>', page, re.S)
    assert found, f"no example {label!r}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1)))


async def test_the_guides_receiver_runs_as_copied_and_verifies_deliveries(sandbox: Hub, tmp_path: Path) -> None:
    guide = (await sandbox.http.get("/docs/webhooks")).text
    port = free_port()
    program = example(guide, "receiver (Python)").replace("9009", str(port))
    program = example(guide, "verify a delivery (Python)") + "\n\n" + program  # "beside the verify() function"
    (tmp_path / "receiver.py").write_text(program)
    secret = "whsec_" + base64.b64encode(os.urandom(24)).decode()
    receiver = subprocess.Popen([sys.executable, str(tmp_path / "receiver.py")], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, env={**os.environ, "WEBHOOK_SECRET": secret}, text=True)
    try:
        body = b'{"type": "inventory.changed", "data": {"sku": "SKU-1003"}}'
        url = f"http://127.0.0.1:{port}/"
        stamp = int(time.time())  # one timestamp, signed and sent: a second boundary between them is no forgery
        signed = Webhook(secret).sign("msg_1", datetime.fromtimestamp(stamp, UTC), body.decode())
        answers = []
        async with httpx.AsyncClient() as client:
            for attempt in range(200):  # until it listens (bounded)
                try:
                    answers.append((await client.post(url, content=body, headers={
                        "webhook-id": "msg_1", "webhook-timestamp": str(stamp),
                        "webhook-signature": signed})).status_code)
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            answers.append((await client.post(url, content=body, headers={
                "webhook-id": "msg_2", "webhook-timestamp": str(stamp),
                "webhook-signature": signed})).status_code)  # msg_1's signature on msg_2: forged
    finally:
        receiver.terminate()
        printed, _ = receiver.communicate(timeout=10)
    assert answers == [204, 401]
    assert printed.splitlines() == ["verified msg_1 inventory.changed", "REJECTED msg_2 inventory.changed"]
