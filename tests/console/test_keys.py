"""API keys in the console: create (the secret shown once), rotate with grace, revoke, filter,
usage by consumer; a consumer name that is an XSS probe is shown as text."""

from __future__ import annotations

import uuid

import pytest

from tests.browser import until

pytestmark = pytest.mark.e2e


def open_keys(page) -> None:  # noqa: ANN001
    page.click(".tabs a[data-panel=keys]")
    page.wait_for_selector("#keys table, #keys .empty")


def read_secret_and_close(page) -> str:  # noqa: ANN001
    field = page.locator("#secret-value")
    field.wait_for(state="visible")
    secret = field.input_value()
    page.click("#dialog-actions button[type=submit]")  # Done
    page.locator("#dialog").wait_for(state="hidden")
    page.locator("#secret-value").wait_for(state="detached")  # the dialog's close event clears it
    assert secret not in page.content()  # gone from the page with its dialog
    return secret


def test_create_rotate_revoke_and_filter(hub, console) -> None:  # noqa: ANN001
    page = console()
    open_keys(page)
    consumer = f"shop-{uuid.uuid4().hex[:8]}"
    page.click("#new-key")
    page.fill("#new-consumer", consumer)
    page.check("#new-scopes input[value='catalog:read']")
    page.select_option("#new-plan", "partner")
    page.click("#dialog-actions button[type=submit]")
    secret = read_secret_and_close(page)
    assert hub.status_with(secret) == 200  # the secret shown is a working key

    row = page.locator("#keys tr", has_text=consumer)
    assert row.count() == 1
    key_id = row.get_attribute("data-key")
    assert "partner" in row.text_content() and "catalog:read" in row.text_content()
    assert page.locator("#consumers tr", has_text=consumer).count() == 1  # usage by consumer

    page.fill("#key-filter", consumer)  # the filter narrows the list to this consumer's key
    until(lambda: page.locator("#keys tbody tr").count() == 1)
    page.fill("#key-filter", f"no-such-{uuid.uuid4().hex}")
    page.locator("#keys .empty").wait_for()
    page.fill("#key-filter", key_id)
    until(lambda: page.locator("#keys tbody tr").count() == 1)

    page.locator(f"#keys tr[data-key='{key_id}'] button", has_text="Rotate").click()
    page.fill("#rotate-grace", "600")
    page.click("#dialog-actions button[type=submit]")
    rotated = read_secret_and_close(page)
    assert rotated != secret
    assert hub.status_with(rotated) == 200 and hub.status_with(secret) == 200  # the old one, in its grace

    page.locator(f"#keys tr[data-key='{key_id}'] button", has_text="Revoke").click()
    page.click("#dialog-actions button.danger")
    page.locator(f"#keys tr[data-key='{key_id}']").wait_for(state="detached")  # gone from the active keys
    until(lambda: hub.status_with(rotated) == 401 and hub.status_with(secret) == 401)
    page.select_option("#key-status", "revoked")
    revoked = page.locator(f"#keys tr[data-key='{key_id}']")
    assert "revoked" in revoked.text_content()
    assert revoked.locator("button").count() == 0
    assert hub.admin.get(f"/admin/v1/keys/{key_id}").json()["status"] == "revoked"


def test_a_refused_key_shows_why_in_the_dialog(hub, console) -> None:  # noqa: ANN001
    page = console()
    open_keys(page)
    page.click("#new-key")
    page.fill("#new-consumer", "no-scopes")
    page.click("#dialog-actions button[type=submit]")
    page.locator("#dialog-error").wait_for(state="visible")
    assert "scope" in page.text_content("#dialog-error")
    page.check("#new-scopes input[value='catalog:read']")
    page.evaluate("document.getElementById('new-customer').removeAttribute('maxlength')")
    page.fill("#new-customer", "x" * 65)  # over the API's 64 characters: its 422, shown
    page.click("#dialog-actions button[type=submit]")
    until(lambda: "customer" in page.text_content("#dialog-error"))
    assert page.locator("#dialog").is_visible()
    assert not any(k["consumer"] == "no-scopes" for k in hub.admin.get("/admin/v1/keys").json()["items"])


def test_an_xss_probe_in_a_consumer_name_is_shown_as_text(hub, console) -> None:  # noqa: ANN001
    probe = f"<img src=x onerror=alert(1)>{uuid.uuid4().hex[:4]}"
    hub.new_key("catalog:read", consumer=probe)
    page = console()
    open_keys(page)
    cell = page.locator("#keys td", has_text=probe)
    assert cell.count() == 1 and cell.text_content() == probe
    assert page.locator("#panel img").count() == 0
    page.fill("#key-filter", probe)
    until(lambda: page.locator("#keys tbody tr").count() == 1)
    page.locator("#keys tr", has_text=probe).locator("button", has_text="Revoke").click()
    assert probe in page.text_content("#dialog-body")  # the confirmation names it, as text
    assert page.locator("#dialog img").count() == 0
    # the page fixture fails the test if the probe opened a dialog (alert) or made a request
