"""Signing in to the console with a console key (scope `console`, issue 12): the operator's
sections work through the same admin API (a dead letter made by an ERP outage replayed, a
backend paused and resumed), and the admin-only ones (API keys, plans, discarding a dead
letter) are not offered: a console key is refused there by the hub anyway."""

from __future__ import annotations

import httpx
import pytest

from tests.browser import until
from tests.console.conftest import sign_in
from tests.console.test_dead_letters import dead_letter_of_an_erp_outage, status

pytestmark = pytest.mark.e2e


def test_a_console_key_works_the_operator_sections_and_is_offered_no_keys_or_plans(hub, open_page) -> None:  # noqa: ANN001
    shop = hub.new_key("orders:write", "orders:read", customer="CUST-ACME")
    headers = {"X-API-Key": shop["key"]}
    operator = hub.new_key("console", consumer="night-console")
    with httpx.Client(base_url=hub.url, timeout=20) as api:
        order_id, letter = dead_letter_of_an_erp_outage(hub, api, headers)
        watched = open_page()
        page = sign_in(watched, hub.url, operator["key"])
        assert page.text_content("#panel h1") == "Overview"
        assert "night-console" in page.text_content("#who") and "console key" in page.text_content("#who")
        assert page.locator(".tabs a[data-panel=keys]").is_hidden()
        assert page.locator(".tabs a[data-panel=plans]").is_hidden()
        page.locator("#flows table").wait_for()  # the flows dashboard, from the hub
        page.goto(f"{hub.url}/console#plans")  # typed by hand: still the overview
        page.wait_for_selector("#app-view:not([hidden]) #panel h1")
        assert page.text_content("#panel h1") == "Overview"

        page.click(".tabs a[data-panel=dead-letters]")
        row = page.locator(f"#dlq tr[data-letter='{letter['id']}']")
        row.wait_for()
        assert row.locator("button", has_text="Discard").count() == 0  # admin keys only
        row.locator("button", has_text="Replay").click()
        page.locator("#toast", has_text="Replayed").wait_for()
        until(lambda: status(api, headers, order_id) in ("posted", "released"), 30)
        audited = hub.admin.get("/admin/v1/audit", params={"limit": 50}).json()["items"]
        assert any(e["subject"] == letter["id"] and e["actor"]["key_id"] == operator["id"] for e in audited)

        page.click(".tabs a[data-panel=backends]")
        page.locator("#backends tr[data-backend=pos] button", has_text="Pause").click()
        page.click("#dialog-actions button.danger")
        page.locator("#backends tr[data-backend=pos] button", has_text="Resume").click()
        page.locator("#backends tr[data-backend=pos] button", has_text="Pause").wait_for()
        assert not any(b["paused"] for b in hub.admin.get("/admin/v1/backends").json()["items"]
                       if b["backend"] == "pos")
        assert operator["key"] not in page.url and all(operator["key"] not in url for url in watched.requests)
