"""Screenshots of the operations console for the docs, from a real hub with real traffic.

    .venv/bin/python bench/console_screenshots.py [--out docs/images]

Starts ``hub serve`` (every role, SQLite in a temporary directory, the sandbox), makes some
keys, orders and three dead letters (an ERP outage longer than a tiny retry budget; one then
resolved with a note, one replayed), signs in to /console in Debian's Chromium at laptop width
and writes console-dashboard.png, console-keys.png, console-dead-letters.png (filters, list and
audit trail), console-dead-letters-bulk.png (the dry-run count before a bulk replay) and, where
the hub serves journeys, console-journey.png.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import ARGS, CHROMIUM, LAPTOP, start_hub, until  # noqa: E402
from tests.console.conftest import ADMIN, HUB_ENV  # noqa: E402
from tests.e2e.conftest import order  # noqa: E402

CONSUMERS = [("storefront-web", ["catalog:read", "orders:write", "orders:read", "customers:any"], "internal"),
             ("mobile-app", ["catalog:read", "orders:write", "orders:read"], "standard"),
             ("acme-procurement", ["catalog:read", "orders:write", "orders:read"], "partner"),
             ("bolt-supply", ["catalog:read", "orders:read"], "partner"),
             ("ops-dashboard", ["admin"], "internal")]


def traffic(url: str) -> str:
    """Keys, orders and a dead letter; a channel order ref to look up."""
    admin = httpx.Client(base_url=url, headers={"X-API-Key": ADMIN}, timeout=20)
    for consumer, scopes, plan in CONSUMERS:
        for _ in range(2 if consumer == "storefront-web" else 1):
            assert admin.post("/admin/v1/keys", json={"consumer": consumer, "scopes": scopes, "plan": plan}).status_code == 201
    shop = admin.post("/admin/v1/keys", json={"consumer": "acme-buyer-portal", "scopes": ["orders:write", "orders:read"],
                                              "customer": "CUST-ACME", "plan": "partner"}).json()
    api = httpx.Client(base_url=url, headers={"X-API-Key": shop["key"]}, timeout=20)

    def place(ref: str) -> str:
        placed = api.post("/v1/storefront/orders", json=order(channel_order_ref=ref), headers={"Idempotency-Key": ref})
        assert placed.status_code == 201, placed.text
        return placed.json()["order_id"]

    refs = [f"WEB-{5530 + i}" for i in range(4)]
    ids = [place(ref) for ref in refs]
    until(lambda: all(api.get(f"/v1/storefront/orders/{i}").json()["status"] == "released" for i in ids), 60)
    api.post("/sandbox/wms/ship", json={"order_id": ids[0]})
    api.put("/sandbox/erp/faults", json={"outage": True})
    late = [place(f"WEB-{uuid.uuid4().hex[:4].upper()}") for _ in range(3)]

    def dead() -> dict[str, dict]:
        items = admin.get("/admin/v1/dead-letters", params={"status": "open"}).json()["items"]
        return {d["key"]: d for d in items if d["key"] in late}

    letters = until(lambda: found if len(found := dead()) == 3 else None, 60)
    api.delete("/sandbox/erp/faults")
    admin.post(f"/admin/v1/dead-letters/{letters[late[0]]['id']}/resolve",
               json={"note": "Entered in the ERP by hand as SO-88121"})
    admin.post(f"/admin/v1/dead-letters/{letters[late[1]]['id']}/replay")
    return refs[0]


def shoot(url: str, out: Path, ref: str) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport=LAPTOP, device_scale_factor=1)
        page.goto(f"{url}/console")
        page.fill("#signin-key", ADMIN)
        page.click("#signin-submit")
        views = [("console-dashboard.png", "overview", "#flows > *"), ("console-keys.png", "keys", "#keys table"),
                 ("console-dead-letters.png", "dead-letters", "#dlq-audit table")]
        for name, panel, ready in views:
            page.click(f".tabs a[data-panel={panel}]")
            page.wait_for_selector(ready)
            page.wait_for_timeout(300)
            page.screenshot(path=out / name, full_page=panel == "dead-letters")
            written.append(out / name)
        page.select_option("#dlq-flow", "erp_posting")
        page.click("#dlq-replay-all")
        page.wait_for_selector("#dlq-bulk-count")
        page.screenshot(path=out / "console-dead-letters-bulk.png")
        written.append(out / "console-dead-letters-bulk.png")
        page.click("#dialog-actions button:not(.primary)")
        page.click(".tabs a[data-panel=journeys]")
        page.fill("#journey-ref", ref)
        page.press("#journey-ref", "Enter")
        page.wait_for_selector("#journeys-result > *")
        if not page.locator("#journeys-result [data-state=unavailable]").count():
            page.wait_for_timeout(300)
            page.screenshot(path=out / "console-journey.png")
            written.append(out / "console-journey.png")
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        hub = start_hub(Path(workdir), {**HUB_ENV, "HUB_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/hub.db"})
        try:
            started = time.monotonic()
            ref = traffic(hub.url)
            for path in shoot(hub.url, args.out.resolve(), ref):
                print(f"wrote {path}")
            print(f"in {time.monotonic() - started:.0f} s")
        finally:
            hub.stop()


if __name__ == "__main__":
    main()
