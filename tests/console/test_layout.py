"""The console on a phone (375 x 812) and a laptop: no section makes the page scroll sideways
(wide tables scroll inside their own box), and nothing it loads comes from off 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.browser import LAPTOP, PHONE

pytestmark = pytest.mark.e2e
PANELS = ("overview", "journeys", "dead-letters", "backends", "alerts", "keys", "plans")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_no_section_scrolls_sideways(hub, open_page, viewport) -> None:  # noqa: ANN001
    hub.new_key("catalog:read", "orders:write", "orders:read", "returns:write", "returns:read",
                consumer="a-partner-with-a-rather-long-consumer-name-for-a-narrow-screen")
    watched = open_page(viewport)
    page = watched.page
    page.goto(f"{hub.url}/console")
    assert page.evaluate(OVERFLOW) <= 0
    page.fill("#signin-key", "console-test-admin-key-0123456789")
    page.click("#signin-submit")
    for panel in PANELS:
        page.click(f".tabs a[data-panel={panel}]")
        page.wait_for_selector(f".tabs a[data-panel={panel}][aria-current=page]")
        page.wait_for_selector("#panel .slot > *, #panel .tiles > *, #journey-form")
        assert page.evaluate(OVERFLOW) <= 0, f"{panel} scrolls sideways at {viewport['width']} px"
    page.click(".tabs a[data-panel=keys]")
    page.click("#new-key")  # the dialog fits too
    page.wait_for_selector("#dialog[open] #new-consumer")
    box = page.locator("#dialog").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]
    assert all(url.startswith(hub.url) for url in watched.requests)
