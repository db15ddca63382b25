"""Signing in to the console: a clear error for a wrong or a non-admin key, the key kept in
this tab only (never in the URL or lasting storage), signing out forgets it."""

from __future__ import annotations

import pytest

from tests.console.conftest import ADMIN, sign_in

pytestmark = pytest.mark.e2e


def test_a_wrong_key_is_refused_with_a_clear_error(hub, open_page) -> None:  # noqa: ANN001
    page = open_page().page
    page.goto(f"{hub.url}/console")
    page.fill("#signin-key", "not-a-key-of-this-hub")
    page.click("#signin-submit")
    error = page.locator("#signin-error")
    error.wait_for(state="visible")
    assert "not valid" in error.text_content()
    assert page.locator("#app-view").is_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_key_without_the_admin_scope_is_refused(hub, open_page) -> None:  # noqa: ANN001
    shopper = hub.new_key("catalog:read")
    page = open_page().page
    page.goto(f"{hub.url}/console")
    page.fill("#signin-key", shopper["key"])
    page.click("#signin-submit")
    page.locator("#signin-error").wait_for(state="visible")
    assert "neither the admin nor the console scope" in page.text_content("#signin-error")
    assert page.locator("#app-view").is_hidden()


def test_the_admin_key_opens_the_dashboard_and_stays_in_this_tab_only(hub, open_page) -> None:  # noqa: ANN001
    watched = open_page()
    page = sign_in(watched, hub.url)
    assert page.text_content("#panel h1") == "Overview"
    assert page.locator(".tabs a[aria-current=page]").text_content() == "Overview"
    assert page.evaluate("localStorage.length") == 0
    assert ADMIN not in page.url and all(ADMIN not in url for url in watched.requests)
    page.reload()  # the same tab keeps the session
    page.wait_for_selector("#app-view:not([hidden]) #panel h1")
    page.click("#sign-out")
    page.locator("#signin-view").wait_for(state="visible")
    assert page.evaluate("sessionStorage.length") == 0
    page.reload()
    page.locator("#signin-view").wait_for(state="visible")
    assert page.locator("#app-view").is_hidden()


def test_a_revoked_key_signs_the_console_out(hub, open_page) -> None:  # noqa: ANN001
    operator = hub.new_key("admin")
    page = sign_in(open_page(), hub.url, operator["key"])
    assert hub.admin.delete(f"/admin/v1/keys/{operator['id']}").status_code == 200
    page.click(".tabs a[data-panel=plans]")  # the next call is refused: back to the sign-in form
    page.locator("#signin-error").wait_for(state="visible")
    assert "no longer accepts" in page.text_content("#signin-error")
    assert page.evaluate("sessionStorage.length") == 0
