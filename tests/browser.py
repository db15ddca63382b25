"""Browser tests' shared parts: Debian's Chromium driven by Playwright for Python (never
`playwright install`: the browser is the system one, /usr/bin/chromium, which `.ci/run`
installs when missing), a real hub process to point it at, and a page that fails its test
when a request leaves 127.0.0.1 or the page's script throws.

Import the fixtures into a package's conftest: ``from tests.browser import browser, open_page``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import Process, free_port

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 375, "height": 812}
LOCAL_HOSTS = {"127.0.0.1"}


def start_hub(workdir: Path, env: dict[str, str], role: str = "all") -> Process:
    """``hub serve`` in its own process on a free port of 127.0.0.1, started and ready."""
    process = Process(role, free_port(), {"HUB_HOST": "127.0.0.1", **env}, workdir)
    try:
        process.wait_ready(60)
    except BaseException:
        process.stop()
        raise
    return process


def until(check: Callable[[], object], timeout: float = 10.0, page: object | None = None,
          seen: Callable[[], object] | None = None) -> object:
    """Poll ``check`` until it is truthy; its value, or AssertionError at the deadline (naming
    what ``seen`` shows then, when given). With a ``page``, the wait runs inside Playwright, so
    its events (requests, routes) are handled."""
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, f"condition not met in {timeout} s" + (f"; seen: {seen()!r}" if seen else "")
        if page is not None:
            page.wait_for_timeout(100)  # polling a condition, bounded by the deadline
        else:
            time.sleep(0.1)  # polling a condition, bounded by the deadline
    return value


def admin_client(url: str, admin_key: str) -> httpx.Client:
    return httpx.Client(base_url=url, headers={"X-API-Key": admin_key}, timeout=20)


@contextmanager
def chromium() -> Iterator[object]:
    """Debian's Chromium, launched headless for as long as the block runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module. Not longer: while the sync API runs, its event loop is the
    thread's running loop, and other packages' tests (``asyncio.run``) must not run inside it."""
    with chromium() as launched:
        yield launched


class Watched:
    """A page, and what it did that a test must not see: requests off 127.0.0.1, script errors,
    JavaScript dialogs (``alert``: an XSS probe that ran)."""

    def __init__(self, page: object) -> None:
        self.page = page
        self.requests: list[str] = []
        self.off_host: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("dialog", self._dialog)

    def _request(self, request: object) -> None:
        self.requests.append(request.url)
        parts = urlsplit(request.url)
        if parts.scheme not in ("data", "about", "blob") and parts.hostname not in LOCAL_HOSTS:
            self.off_host.append(request.url)

    def _dialog(self, dialog: object) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def check(self) -> None:
        assert self.off_host == [], f"requests left 127.0.0.1: {self.off_host}"
        assert self.errors == [], f"the page's script failed: {self.errors}"
        assert self.dialogs == [], f"a JavaScript dialog opened: {self.dialogs}"


@pytest.fixture
def open_page(browser) -> Iterator[Callable[..., Watched]]:  # noqa: ANN001
    """``open_page(viewport=LAPTOP)``: a page in a fresh context (its own sessionStorage); each
    one is checked when the test ends (nothing off 127.0.0.1, no script error, no dialog)."""
    opened: list[tuple[object, Watched]] = []

    def _open(viewport: dict[str, int] = LAPTOP) -> Watched:
        context = browser.new_context(viewport=viewport, service_workers="block")
        context.set_default_timeout(15_000)
        watched = Watched(context.new_page())
        opened.append((context, watched))
        return watched

    yield _open
    try:
        for _, watched in opened:
            watched.check()
    finally:
        for context, _ in opened:
            context.close()
