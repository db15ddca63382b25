"""The portal as a person uses it, in headless Chromium: open /docs, go to storefront v1,
paste a sandbox key, try GET /v1/storefront/products/SKU-1001 and see the price; get a
problem and follow its `type` link to its page. No request leaves 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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
    for path in ("/docs", "/docs/storefront-v1", "/docs/problems/unknown_sku"):
        page.goto(hub.url + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"{path} is {overflow}px wider than a phone"
    context.close()
