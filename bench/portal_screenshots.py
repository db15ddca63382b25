"""Screenshots of the developer portal for the README: docs/images/portal-*.png.

Starts a throwaway hub (all role, SQLite, sandbox) on a free port, gets a partner key with
the home page's "Get a sandbox key" form, makes a sandbox key, tries
GET /v1/storefront/products/SKU-1001 on the storefront v1 reference, and shoots the home
page, the key form with its answer and that operation (with its answer) at a laptop and a
phone width with Debian's Chromium::

    .venv/bin/python bench/portal_screenshots.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import Process, free_port  # noqa: E402
from tests.browser import LAPTOP, PHONE, chromium  # noqa: E402
from tests.portal.conftest import ADMIN_KEY, Hub  # noqa: E402

IMAGES = ROOT / "docs" / "images"


def shoot(hub: Hub, key: str) -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with chromium() as browser:
        for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=name == "phone")
            page = context.new_page()
            page.goto(hub.url + "/docs")
            page.screenshot(path=str(IMAGES / f"portal-home-{name}.png"))
            form = page.locator("#sandbox-key-form")
            form.locator("input[name=consumer]").fill("acme-edi")
            form.get_by_role("button", name="Get a sandbox key").click()
            page.locator("#sandbox-key-secret").filter(has_text="chub_").wait_for()
            page.locator("#sandbox-key").screenshot(path=str(IMAGES / f"portal-sandbox-key-{name}.png"))
            page.goto(hub.url + "/docs/storefront-v1")
            page.locator("#auth-secret").fill(key)
            section = page.locator("#op-getProduct")
            section.locator("summary", has_text="Try it").click()
            section.get_by_role("button", name="Send request").click()
            section.locator(".try-status").filter(has_text="200").wait_for()
            section.screenshot(path=str(IMAGES / f"portal-reference-{name}.png"))
            context.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        process = Process("all", free_port(), {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN_KEY}, Path(workdir))
        try:
            process.wait_ready(60)
            hub = Hub(process)
            shoot(hub, hub.new_key("catalog:read"))
        finally:
            process.stop()
    print("\n".join(str(p.relative_to(ROOT)) for p in sorted(IMAGES.glob("portal-*.png"))))


if __name__ == "__main__":
    main()
