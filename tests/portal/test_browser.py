"""The portal as a person uses it, in headless Chromium: open /docs, go to storefront v1,
paste a sandbox key, try GET /v1/storefront/products/SKU-1001 and see the price; get a
problem and follow its `type` link to its page; as a partner, get a sandbox key from the
portal, try a call with it, and receive a verified webhook. No request leaves 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from standardwebhooks import Webhook

from tests.browser import CHROMIUM, LAPTOP, PHONE, chromium
from tests.portal.conftest import Hub

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def browser():
    assert Path(CHROMIUM).exists(), "Chromium is missing: apt-get install chromium (.ci/run does)"
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser, hub: Hub):
    context = browser.new_context(viewport=LAPTOP)
    page = context.new_page()
    page.requests = []  # every URL the page asked for
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("pageerror", lambda error: pytest.fail(f"script error on the page: {error}"))
    yield page
    hosts = {urlsplit(url).hostname for url in page.requests if not url.startswith("data:")}
    assert hosts <= {"127.0.0.1"}, f"requests left the hub: {sorted(page.requests)}"
    context.close()


def try_it(page, operation: str) -> object:
    section = page.locator(f"#op-{operation}")
    section.locator("summary", has_text="Try it").click()
    return section.locator("form.try-form")


def test_try_an_operation_with_a_sandbox_key(page, hub: Hub) -> None:
    key = hub.new_key("catalog:read")
    page.goto(hub.url + "/docs")
    assert page.locator("h1").inner_text() == "Commerce Hub developer portal"
    page.locator("main").get_by_role("link", name="Storefront v1").click()
    page.wait_for_url(hub.url + "/docs/storefront-v1")
    page.locator("#auth-secret").fill(key)
    form = try_it(page, "getProduct")
    assert form.locator("input[name=sku]").input_value() == "SKU-1001"
    form.get_by_role("button", name="Send request").click()
    status = form.locator(".try-status")
    status.filter(has_text="200").wait_for()
    assert "GET /v1/storefront/products/SKU-1001" in status.inner_text()
    product = json.loads(form.locator(".try-body").inner_text())
    assert (product["sku"], product["unit_price"], product["available_quantity"]) == ("SKU-1001", "129.00", 50)
    assert "ratelimit-policy" in form.locator(".try-headers").inner_text()
    # the copyable example names this hub, not a placeholder
    curl = page.locator("#op-getProduct .example pre").first.inner_text()
    assert curl.startswith(f'curl -s "{hub.url}/v1/storefront/products/SKU-1001"')


def test_follow_a_problem_type_to_its_page(page, hub: Hub) -> None:
    key = hub.new_key("catalog:read")
    page.goto(hub.url + "/docs/storefront-v1")
    page.locator("#auth-secret").fill(key)
    form = try_it(page, "getProduct")
    form.locator("input[name=sku]").fill("SKU-9999")
    form.get_by_role("button", name="Send request").click()
    form.locator(".try-status").filter(has_text="404").wait_for()
    problem = json.loads(form.locator(".try-body").inner_text())
    assert (problem["code"], problem["type"]) == ("unknown_sku", "/docs/problems/unknown_sku")
    form.locator("a.try-problem").click()
    page.wait_for_url(hub.url + "/docs/problems/unknown_sku")
    assert page.locator("h1").inner_text() == "unknown_sku"
    assert page.get_by_role("heading", name="What to do").is_visible()


def test_the_key_is_remembered_in_the_tab_and_a_missing_key_is_a_401(page, hub: Hub) -> None:
    page.goto(hub.url + "/docs/storefront-v2")
    form = try_it(page, "getProduct")
    form.get_by_role("button", name="Send request").click()
    form.locator(".try-status").filter(has_text="401").wait_for()
    page.locator("#auth-secret").fill("chub_not-a-key")
    page.goto(hub.url + "/docs/storefront-v1")
    assert page.locator("#auth-secret").input_value() == "chub_not-a-key"


def test_a_phone_sees_the_page_without_sideways_scrolling(browser, hub: Hub) -> None:
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    for path in ("/docs", "/docs/storefront-v1", "/docs/webhooks", "/docs/problems/unknown_sku"):
        page.goto(hub.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a phone"
    context.close()


class Deliveries(ThreadingHTTPServer):
    """The partner's receiver, as a test stands it up: records every delivery, answers 204."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        deliveries = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["content-length"]))
                deliveries.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/"


@pytest.fixture
def deliveries() -> Iterator[Deliveries]:
    server = Deliveries()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_partner_gets_a_sandbox_key_makes_a_first_call_and_receives_a_verified_webhook(
        page, hub: Hub, deliveries: Deliveries) -> None:
    page.goto(hub.url + "/docs")
    form = page.locator("#sandbox-key-form")
    form.locator("select[name=channel]").select_option("partner")
    form.locator("select[name=customer]").select_option("CUST-ACME")
    form.locator("input[name=consumer]").fill("acme-portal")
    form.get_by_role("button", name="Get a sandbox key").click()
    shown = page.locator("#sandbox-key-secret")
    shown.filter(has_text="chub_").wait_for()
    key = shown.inner_text().strip()
    meta = page.locator("#sandbox-key-meta").inner_text()
    assert "customer CUST-ACME" in meta and "webhooks:manage" in meta
    page.locator("#sandbox-key-next").click()  # to the partner reference: try-it already holds the key
    page.wait_for_url(hub.url + "/docs/partner-v1")
    assert page.locator("#auth-secret").input_value() == key
    call = try_it(page, "getPriceList")
    call.get_by_role("button", name="Send request").click()
    call.locator(".try-status").filter(has_text="200").wait_for()
    assert json.loads(call.locator(".try-body").inner_text())["items"]
    page.goto(hub.url + "/docs")  # the secret was shown once: the home page never shows it again
    assert page.locator("#sandbox-key-result").is_hidden() and key not in page.content()

    # the webhooks guide, step by step, as the partner's receiver would follow it
    made = httpx.post(hub.url + "/v1/partner/webhooks", headers={"X-API-Key": key}, timeout=10,
                      json={"url": deliveries.url, "events": ["inventory.changed"]})
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    changed = httpx.post(hub.url + "/sandbox/wms/stock", timeout=10,
                         json={"sku": "SKU-1003", "location": "DC-EAST", "on_hand": 451})
    assert changed.status_code < 300, changed.text
    deadline = time.monotonic() + 30
    while not deliveries.received and time.monotonic() < deadline:
        time.sleep(0.05)  # polling the receiver, bounded
    assert deliveries.received, "no delivery within 30 s"
    headers, body = deliveries.received[0]
    event = Webhook(secret).verify(body, headers)
    assert event["type"] == "inventory.changed" and event["data"]["sku"] == "SKU-1003"
