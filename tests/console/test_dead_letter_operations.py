"""Dead letters at operator scale in the console (issue 12), in real Chromium against a real hub:
filter by flow, backend, error code and time; replay all matching after a dry-run count the
operator confirms; resolve one with a note; the audit trail; and the effect of each checked
through the admin API (statuses, who, the audit log, the orders reaching the ERP, the journey)."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from tests.browser import until
from tests.console.test_dead_letters import place, status

pytestmark = pytest.mark.e2e
LETTERS = "/admin/v1/dead-letters"


def dead_letters_of(hub, api: httpx.Client, headers: dict, n: int) -> tuple[list[str], list[dict]]:  # noqa: ANN001
    """``n`` orders placed while the ERP is down: their ids and their (open) dead letters."""
    warm = place(api, headers)  # the hub reads (and keeps) this customer and item from the ERP
    until(lambda: status(api, headers, warm) == "released", 30)
    assert api.put("/sandbox/erp/faults", json={"outage": True}).status_code == 200
    try:
        ids = [place(api, headers) for _ in range(n)]

        def letters() -> list[dict] | None:
            items = hub.admin.get(LETTERS, params={"limit": 200, "status": "open"}).json()["items"]
            mine = [d for d in items if d["key"] in ids]
            return mine if len(mine) == n else None

        return ids, until(letters, 40)
    finally:
        assert api.delete("/sandbox/erp/faults").status_code == 200


def local(at: datetime) -> str:
    """A datetime-local field's value (the browser and the test share the machine's zone)."""
    return at.astimezone().strftime("%Y-%m-%dT%H:%M:%S")


def test_filter_then_replay_all_matching_after_a_dry_run_count(hub, console) -> None:  # noqa: ANN001
    started = datetime.now().astimezone() - timedelta(seconds=1)
    shop = hub.new_key("orders:write", "orders:read", customer="CUST-ACME")
    headers = {"X-API-Key": shop["key"]}
    with httpx.Client(base_url=hub.url, timeout=20) as api:
        ids, letters = dead_letters_of(hub, api, headers, 3)
        code = letters[0]["reason"].split(":")[0]
        assert {d["backend"] for d in letters} == {"erp"} and {d["reason"].split(":")[0] for d in letters} == {code}

        page = console()
        page.click(".tabs a[data-panel=dead-letters]")
        page.locator("#dlq-flow option[value=erp_posting]").wait_for(state="attached")
        page.select_option("#dlq-flow", "erp_posting")
        page.select_option("#dlq-backend", "erp")
        page.fill("#dlq-code", code)
        page.select_option("#dlq-status", "open")
        page.fill("#dlq-since", local(started))
        page.click("#dlq-apply")
        # the filter applied first (the unfiltered list holds the same three letters, so the rows
        # alone cannot tell), then the rows read in one go: the table re-renders when the filter
        # applies (row by row, a row of the unfiltered list could vanish while it was being read)
        def summary() -> str:
            return page.text_content("#dlq-summary")

        def rows() -> list[str]:
            return sorted(page.eval_on_selector_all("#dlq tr[data-letter]", "rows => rows.map(r => r.dataset.letter)"))

        until(lambda: "flow erp_posting" in summary(), 10, page, seen=summary)
        until(lambda: rows() == sorted(d["id"] for d in letters), 10, page, seen=lambda: (rows(), letters, summary()))

        page.click("#dlq-replay-all")  # the dry run's count first; cancelled: nothing replayed
        assert page.locator("#dlq-bulk-count").get_attribute("data-matched") == "3"
        assert "3 open dead letters match" in page.text_content("#dlq-bulk-count")
        page.click("#dialog-actions button:not(.primary)")
        assert all(hub.admin.get(f"{LETTERS}/{d['id']}").json()["status"] == "open" for d in letters)

        page.click("#dlq-replay-all")
        page.locator("#dlq-bulk-count[data-matched='3']").wait_for()
        page.click("#dialog-actions button.primary")
        page.locator("#toast", has_text="Replayed 3 of 3").wait_for()
        after = [hub.admin.get(f"{LETTERS}/{d['id']}").json() for d in letters]
        assert {d["status"] for d in after} == {"replayed"}
        assert len({d["replayed_by"] for d in after}) == 1 and after[0]["replayed_by"]  # who: the console's key
        until(lambda: all(status(api, headers, i) in ("posted", "released") for i in ids), 30)
        for i in ids:
            assert len(api.get("/sandbox/erp/sales-orders", params={"external_ref": i}).json()["items"]) == 1

        entries = hub.admin.get("/admin/v1/audit", params={"limit": 20}).json()["items"]
        bulk = next(e for e in entries if e["action"] == "dead_letters.replay_bulk")
        assert (bulk["details"]["matched"], bulk["details"]["replayed"], bulk["details"]["limit"]) == (3, 3, 3)
        assert bulk["details"]["filter"]["flow"] == "erp_posting" and bulk["details"]["filter"]["code"] == code
        assert [e["details"]["matched"] for e in entries if e["action"] == "dead_letters.replay_dry_run"][:2] == [3, 3]
        row = page.locator(f"#dlq-audit tr[data-audit='{bulk['id']}']")
        row.wait_for()
        assert "3 replayed of 3 matched" in row.text_content()
        until(lambda: page.locator("#dlq tr[data-letter]").count() == 0, 10, page)  # the filter shows open ones only
        page.select_option("#dlq-status", "replayed")
        page.click("#dlq-apply")
        until(lambda: page.locator("#dlq tr[data-status=replayed]").count() == 3, 10, page)
        assert after[0]["replayed_by"] in page.text_content("#dlq")


def test_resolve_with_a_note_shows_in_the_list_the_audit_trail_and_the_journey(hub, console) -> None:  # noqa: ANN001
    shop = hub.new_key("orders:write", "orders:read", customer="CUST-ACME")
    headers = {"X-API-Key": shop["key"]}
    with httpx.Client(base_url=hub.url, timeout=20) as api:
        [order_id], [letter] = dead_letters_of(hub, api, headers, 1)
    page = console()
    page.click(".tabs a[data-panel=dead-letters]")
    row = page.locator(f"#dlq tr[data-letter='{letter['id']}']")
    row.wait_for()
    row.locator("button", has_text="Resolve").click()
    page.fill("#resolve-note", "entered in the ERP by hand")
    page.click("#dialog-actions button.primary")
    page.locator("#toast", has_text="Resolved").wait_for()

    resolved = hub.admin.get(f"{LETTERS}/{letter['id']}").json()
    assert (resolved["status"], resolved["note"]) == ("resolved", "entered in the ERP by hand") and resolved["resolved_by"]
    done = page.locator(f"#dlq tr[data-letter='{letter['id']}'][data-status=resolved]")
    done.wait_for()
    assert "entered in the ERP by hand" in done.text_content()
    assert done.locator("button", has_text="Replay").is_disabled() and done.locator("button", has_text="Resolve").is_disabled()
    entry = next(e for e in hub.admin.get("/admin/v1/audit").json()["items"] if e["subject"] == letter["id"])
    assert entry["action"] == "dead_letters.resolve" and entry["note"] == "entered in the ERP by hand"
    page.locator(f"#dlq-audit tr[data-audit='{entry['id']}']", has_text="entered in the ERP by hand").wait_for()

    [journey] = hub.admin.get("/admin/v1/journeys", params={"ref": order_id}).json()["items"]
    step = next(s for s in journey["steps"] if s["outcome"] == "resolved")
    assert (step["dead_letter_id"], step["note"], step["actor"]) == (letter["id"], "entered in the ERP by hand",
                                                                      resolved["resolved_by"])
    row.locator("a").click()  # the key links to the journey, where the resolve is a step
    page.locator(f"#journeys-result [data-journey='{order_id}'] .badge", has_text="resolved").wait_for()


def test_a_bad_filter_is_explained_not_swallowed(hub, console) -> None:  # noqa: ANN001
    page = console()
    page.click(".tabs a[data-panel=dead-letters]")
    page.locator("#dlq table, #dlq .empty").first.wait_for()
    page.fill("#dlq-since", "2030-01-02T00:00:00")
    page.fill("#dlq-until", "2030-01-01T00:00:00")
    page.click("#dlq-apply")
    page.locator("#dlq [data-state=error]", has_text="until").wait_for()
