"""The operations panels (flows, backends, alerts, journeys) against the CONTRACT section 7
shapes: the browser answers those admin calls itself (``page.route``), so these tests hold
whether or not the hub serves the endpoints. A 404 shows a clear "not available" state; the
overview refreshes itself and stops while the tab is hidden; every value is text."""

from __future__ import annotations

import json

import pytest

from tests.console.conftest import ADMIN, sign_in
from tests.browser import until

pytestmark = pytest.mark.e2e
PROBE = "<img src=x onerror=alert(1)>"
NOW = "2026-01-01T12:00:00Z"
FLOWS = {"items": [
    {"flow": "order_capture", "status": "active", "counts": {"pending": 2, "done": 118, "dead": 0},
     "throughput": {"5m": 12, "1h": 118}, "error_rate": 0.0, "p95_ms": 41.5, "backlog": 2,
     "oldest_pending_seconds": 3.2, "dead_letters_open": 0},
    {"flow": "erp_posting", "status": "active", "counts": {"pending": 30, "failing": 4, "dead": 1},
     "error_rate": 0.125, "p95_ms": 812.0, "backlog": 34, "oldest_pending_seconds": 300, "dead_letters_open": 1},
    {"flow": PROBE, "counts": {PROBE: 1}, "error_rate": 0, "oldest_pending_seconds": 0, "p95_ms": None},
]}
BACKENDS = {"items": [
    {"backend": "erp", "circuit": "open", "circuit_since": NOW, "error_rate": 0.5, "p95_ms": 900.0,
     "throttled": 0, "paused": False, "last_error": {"code": "backend_unavailable", "at": NOW}},
    {"backend": "wms", "circuit": "half_open", "error_rate": 0.0, "p95_ms": 20.0, "throttled": 3, "paused": True},
    {"backend": "shopify", "circuit": "closed", "error_rate": 0.0, "p95_ms": None, "throttled": 0, "paused": False},
]}
ALERTS = {"items": [
    {"rule": "circuit_open", "state": "firing", "since": NOW, "detail": f"erp open for 75 s {PROBE}"},
    {"rule": "oldest_pending", "state": "resolved", "since": NOW, "detail": "erp_posting back under 120 s"},
]}
JOURNEYS = {"items": [{"kind": "order", "id": "ord_1", "status": "posted",
                       "refs": {"channel_order_ref": "WEB-5531", "erp_order_number": "SO-1", "tracking_numbers": []},
                       "steps": [
                           {"at": NOW, "layer": "experience", "step": "accepted", "outcome": "done", "attempts": 1,
                            "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "detail": None},
                           {"at": NOW, "layer": "process", "step": "order.accepted", "backend": "erp",
                            "outcome": "retried", "attempts": 3, "trace_id": None, "detail": PROBE},
                           {"at": NOW, "layer": "process", "step": "posted", "outcome": "done", "attempts": 1}]}]}
PROBLEM_404 = {"type": "/docs/problems/not_found", "title": "Not found", "status": 404, "detail": "Not Found",
               "code": "not_found", "trace_id": "0" * 32}


def answer(page, bodies: dict[str, dict | None], calls: list | None = None) -> None:  # noqa: ANN001
    """The browser answers GET /admin/v1/<name> with ``bodies[name]`` (None: the 404 problem);
    every call is recorded in ``calls`` as (method, path, X-API-Key)."""
    def handle(route, request) -> None:  # noqa: ANN001
        path = request.url.split("/admin/v1/", 1)[1]
        if calls is not None:
            calls.append((request.method, path, request.headers.get("x-api-key")))
        name = path.split("?")[0].split("/")[0]
        if request.method != "GET" or name not in bodies:
            route.fulfill(status=200, content_type="application/json", body=json.dumps({"backend": "erp", "paused": True}))
        elif bodies[name] is None:
            route.fulfill(status=404, content_type="application/problem+json", body=json.dumps(PROBLEM_404))
        else:
            route.fulfill(status=200, content_type="application/json", body=json.dumps(bodies[name]))

    for name in bodies:
        page.route(f"**/admin/v1/{name}**", handle)


def signed_in(hub, open_page, bodies: dict[str, dict | None]) -> tuple[object, list]:  # noqa: ANN001
    """A console page whose admin calls to ``bodies`` the browser answers; the page and its calls."""
    watched = open_page()
    calls: list = []
    answer(watched.page, bodies, calls)
    return sign_in(watched, hub.url), calls


def test_a_404_from_an_ops_endpoint_shows_not_available(hub, open_page) -> None:  # noqa: ANN001
    page, _ = signed_in(hub, open_page, {"flows": None, "backends": None, "alerts": None, "journeys": None})
    for slot, path in (("flows", "flows"), ("overview-backends", "backends"), ("overview-alerts", "alerts")):
        state = page.locator(f"#{slot} [data-state=unavailable]")
        state.wait_for()
        assert f"GET /admin/v1/{path} answered 404" in state.text_content()
    assert page.text_content("#tiles") .count("\u2014") == 3  # alerts, circuits, oldest pending: unknown
    for panel, slot in (("backends", "backends"), ("alerts", "alerts")):
        page.click(f".tabs a[data-panel={panel}]")
        page.locator(f"#{slot} [data-state=unavailable]").wait_for()
    page.click(".tabs a[data-panel=journeys]")
    page.fill("#journey-ref", "WEB-5531")
    page.press("#journey-ref", "Enter")
    page.locator("#journeys-result [data-state=unavailable]").wait_for()


def test_the_overview_renders_flows_backends_and_alerts(hub, open_page) -> None:  # noqa: ANN001
    page, _ = signed_in(hub, open_page, {"flows": FLOWS, "backends": BACKENDS, "alerts": ALERTS})
    page.locator("#flows table").wait_for()
    erp = page.locator("#flows tr", has_text="erp posting")
    assert "12.5%" in erp.text_content() and "812 ms" in erp.text_content() and "5 min" in erp.text_content()
    assert erp.locator(".hot").count() == 2  # the error rate and the oldest pending stand out
    assert page.locator("#flows td", has_text=PROBE).count() >= 1 and page.locator("#panel img").count() == 0
    assert page.locator("#overview-backends tr", has_text="erp").locator(".badge.bad").text_content() == "open"
    assert page.locator("#overview-backends tr", has_text="wms").locator(".badge.warn").first.text_content() == "half open"
    firing = page.locator("#overview-alerts tbody tr")
    assert firing.count() == 1 and PROBE in firing.text_content()
    tiles = page.text_content("#tiles")
    assert "Alerts firing1" in tiles and "Circuits not closed2" in tiles and "Oldest pending5 min" in tiles


def test_the_backends_switch_calls_the_admin_api(hub, open_page) -> None:  # noqa: ANN001
    page, calls = signed_in(hub, open_page, {"backends": BACKENDS})
    page.click(".tabs a[data-panel=backends]")
    page.locator("#backends tr[data-backend=erp] button", has_text="Pause").click()
    page.click("#dialog-actions button.danger")
    until(lambda: ("POST", "backends/erp/pause", ADMIN) in calls, page=page)
    page.locator("#backends tr[data-backend=wms] button", has_text="Resume").click()
    until(lambda: ("POST", "backends/wms/resume", ADMIN) in calls, page=page)
    assert "backend_unavailable" in page.text_content("#backends tr[data-backend=erp]")


def test_a_journey_shows_its_refs_and_each_step(hub, open_page) -> None:  # noqa: ANN001
    page, calls = signed_in(hub, open_page, {"journeys": JOURNEYS})
    page.click(".tabs a[data-panel=journeys]")
    page.fill("#journey-ref", "WEB-5531")
    page.click("#journey-form button")
    card = page.locator("#journeys-result [data-journey=ord_1]")
    card.wait_for()
    assert ("GET", "journeys?ref=WEB-5531", ADMIN) in calls
    assert [c.text_content() for c in card.locator("tbody tr td:nth-child(3)").all()] == ["accepted", "order.accepted", "posted"]
    assert "SO-1" in card.locator("dl").text_content() and "tracking" not in card.locator("dl").text_content()
    assert PROBE in card.text_content() and page.locator("#panel img").count() == 0
    assert page.url.endswith("#journeys/WEB-5531")  # a journey can be linked to (the ref, never the key)


def test_the_overview_updates_itself_and_rests_while_hidden(hub, open_page) -> None:  # noqa: ANN001
    watched = open_page()
    calls: list = []
    answer(watched.page, {"flows": FLOWS, "backends": BACKENDS, "alerts": ALERTS}, calls)
    watched.page.clock.install()
    page = sign_in(watched, hub.url)
    until(lambda: ("GET", "flows", ADMIN) in calls, page=page)
    page.clock.run_for(5500)
    until(lambda: calls.count(("GET", "flows", ADMIN)) == 2, page=page)  # refreshed, no reload
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'hidden'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    page.clock.run_for(16000)
    page.wait_for_timeout(300)  # a request the timers made would be seen by now
    assert calls.count(("GET", "flows", ADMIN)) == 2  # hidden: no polling
    page.evaluate("""() => {
        Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => 'visible'});
        document.dispatchEvent(new Event('visibilitychange'));
    }""")
    until(lambda: calls.count(("GET", "flows", ADMIN)) == 3, page=page)  # back: at once
