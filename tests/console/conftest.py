"""One real hub (``hub serve``, every role in one process, SQLite, the sandbox backends) for
the console's tests, and a signed-in console page on it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Callable

import httpx
import pytest

from tests.browser import LAPTOP, Watched, admin_client, browser, open_page, start_hub  # noqa: F401 - fixtures

ADMIN = "console-test-admin-key-0123456789"
HUB_ENV = {
    "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN,
    "HUB_SANDBOX": "1",
    # Test pacing, not product behaviour: a failing ERP post gives up within seconds (a dead
    # letter; the breaker, whose waits do not count against that budget, stays out of the way).
    "HUB_RETRY_BUDGET_SECONDS": "2",
    "HUB_RETRY_MAX_DELAY_SECONDS": "0.2",
    "HUB_OUTBOX_POLL_SECONDS": "0.2",
    "HUB_BREAKER_FAILURE_THRESHOLD": "1000",
    "HUB_BREAKER_OPEN_SECONDS": "1",
    "HUB_SANDBOX_AUTOSHIP_SECONDS": "0",
    "HUB_LOG_LEVEL": "warning",
}


class Hub:
    def __init__(self, url: str) -> None:
        self.url = url
        self.admin = admin_client(url, ADMIN)

    def new_key(self, *scopes: str, consumer: str | None = None, customer: str | None = None,
                plan: str = "internal") -> dict:
        body = {"consumer": consumer or f"console-{uuid.uuid4().hex[:6]}", "scopes": list(scopes), "plan": plan}
        if customer:
            body["customer"] = customer
        made = self.admin.post("/admin/v1/keys", json=body)
        assert made.status_code == 201, made.text
        return made.json()

    def status_with(self, secret: str, path: str = "/v1/storefront/products/SKU-1001") -> int:
        return httpx.get(f"{self.url}{path}", headers={"X-API-Key": secret}, timeout=10).status_code


@pytest.fixture(scope="session")
def hub(tmp_path_factory) -> Iterator[Hub]:  # noqa: ANN001
    workdir = tmp_path_factory.mktemp("console-hub")
    process = start_hub(workdir, {**HUB_ENV, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/hub.db"})
    served = Hub(process.url)
    try:
        yield served
    finally:
        served.admin.close()
        process.stop()
        print(process.log.read_text(errors="replace")[-3000:])  # shown when a test failed


def sign_in(watched: Watched, url: str, key: str = ADMIN) -> object:
    """Open the console and sign in with ``key``; the page, showing the overview."""
    page = watched.page
    page.goto(f"{url}/console")
    page.fill("#signin-key", key)
    page.click("#signin-submit")
    page.wait_for_selector("#app-view:not([hidden]) #panel h1")
    return page


@pytest.fixture
def console(hub: Hub, open_page) -> Callable[..., object]:  # noqa: ANN001
    """``console(viewport=LAPTOP)``: a page signed in with the admin key."""
    def _console(viewport: dict[str, int] = LAPTOP) -> object:
        return sign_in(open_page(viewport), hub.url)
    return _console
