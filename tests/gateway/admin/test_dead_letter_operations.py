"""Dead letters at operator scale (issue 12), on SQLite and PostgreSQL: filters, bulk replay
with a dry run (exactly once under concurrent calls), resolve with a note, and the audit log."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.db.tables import dead_letters, outbox
from shared.identity import PRINCIPAL_HEADER, Principal, sign_principal
from shared.messaging import DeadLetterService
from shared.messaging.dead_letter_filter import DeadLetterFilter
from tests.gateway.admin.test_dead_letters import ADMIN, PATH, SECRET, T0, Admin, admin, as_principal  # noqa: F401
from tests.gateway.support import assert_problem

OPERATOR = {PRINCIPAL_HEADER: sign_principal(
    Principal(consumer="night-ops", key_id="key_ops1", scopes=frozenset({"admin"}), plan="internal"), SECRET)}


async def ids_of(admin: Admin, **params: str) -> list[str]:
    """Every id the listing gives for `params`, page by page (3 a page)."""
    seen: list[str] = []
    query = {**params, "limit": "3"}
    while True:
        response = await admin.http.get(PATH, params=query, headers=ADMIN)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            return seen
        query = {**params, "limit": "3", "cursor": body["next_cursor"]}


async def statuses(admin: Admin) -> dict[str, str]:
    async with admin.engine.connect() as conn:
        return dict((await conn.execute(select(dead_letters.c.id, dead_letters.c.status))).all())


async def outbox_keys(admin: Admin) -> list[str]:
    return sorted(row.key for row in await admin.outbox_rows())


async def audit(admin: Admin) -> list[dict]:
    response = await admin.http.get("/admin/v1/audit", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def a_mixed_queue(admin: Admin) -> dict[str, list[str]]:
    """ERP postings failing on the ERP, WMS releases on the WMS, a credit hold with no backend,
    and a code with the LIKE wildcard `_` in a place a naive prefix match would take."""
    return {
        "erp": await admin.add(4, prefix="erp", backend="erp"),
        "wms": await admin.add(3, prefix="wms", topic="order.posted", backend="wms",
                               reason="backend_error: WMS refused the release", at=T0 + timedelta(hours=2)),
        "hold": await admin.add(2, prefix="hold", reason="credit_hold: Customer is on credit hold.",
                                at=T0 + timedelta(hours=3)),
        "lookalike": await admin.add(1, prefix="like", reason="backendXunavailable: not the same code",
                                     at=T0 + timedelta(hours=4)),
    }


async def test_the_listing_filters_by_flow_backend_code_time_and_status(admin: Admin) -> None:
    q = await a_mixed_queue(admin)
    assert sorted(await ids_of(admin, flow="erp_posting")) == sorted(q["erp"] + q["hold"] + q["lookalike"])
    assert sorted(await ids_of(admin, flow="wms_release")) == sorted(q["wms"])
    assert await ids_of(admin, flow="storefront_push") == []  # a flow with no topics has no letters
    assert sorted(await ids_of(admin, backend="erp")) == sorted(q["erp"])
    assert sorted(await ids_of(admin, code="backend_unavailable")) == sorted(q["erp"])
    assert sorted(await ids_of(admin, code="credit_hold", flow="erp_posting")) == sorted(q["hold"])
    assert sorted(await ids_of(admin, since="2026-11-22T12:00:00Z", until="2026-11-22T13:00:00+00:00")) == \
        sorted(q["wms"])
    assert sorted(await ids_of(admin, since="2026-11-22T14:00:00+01:00")) == sorted(q["hold"] + q["lookalike"])
    assert len(await ids_of(admin, status="open")) == 10 and await ids_of(admin, status="resolved") == []
    # newest first across pages, with the filter kept
    assert await ids_of(admin, backend="erp") == list(reversed(q["erp"]))


@pytest.mark.parametrize(("params", "field"), [
    ({"flow": "no_such_flow"}, "flow"), ({"code": "Not A Code"}, "code"), ({"since": "yesterday"}, "since"),
    ({"until": "2026-11-22T10:00:00"}, "until"),  # no offset: not RFC 3339
    ({"status": "closed"}, "status"), ({"since": "2026-11-22T11:00:00Z", "until": "2026-11-22T10:00:00Z"}, "until"),
    ({"backend": "x" * 65}, "backend"),
])
async def test_a_bad_filter_is_422_naming_the_field(admin: Admin, params: dict[str, str], field: str) -> None:
    body = assert_problem(await admin.http.get(PATH, params=params, headers=ADMIN), 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == [field]


async def test_a_dry_run_counts_and_changes_nothing(admin: Admin) -> None:
    q = await a_mixed_queue(admin)
    before = await statuses(admin)
    answer = await admin.http.post(f"{PATH}/replay", json={"filter": {"backend": "erp"}, "dry_run": True},
                                   headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"matched": len(q["erp"]), "replayed": 0, "skipped": 0, "dry_run": True, "circuits": []}
    everything = await admin.http.post(f"{PATH}/replay", json={"dry_run": True, "limit": 4}, headers=OPERATOR)
    assert everything.json()["matched"] == 4  # an empty filter may be counted without confirm; limit caps it
    assert await statuses(admin) == before and await admin.outbox_rows() == []
    [last, first] = await audit(admin)
    assert (first["action"], first["details"]["matched"], first["details"]["filter"]) == (
        "dead_letters.replay_dry_run", 4, {"backend": "erp"})
    assert last["details"]["filter"] == {} and last["actor"] == {"consumer": "night-ops", "key_id": "key_ops1"}


async def test_two_concurrent_bulk_replays_replay_each_matching_letter_exactly_once(admin: Admin) -> None:
    q = await a_mixed_queue(admin)
    more = await admin.add(20, prefix="bulk", backend="erp", at=T0 + timedelta(minutes=30))  # 3 batches of 7
    body = {"filter": {"flow": "erp_posting", "code": "backend_unavailable"}}
    first, second = await asyncio.gather(*(admin.http.post(f"{PATH}/replay", json=body, headers=OPERATOR)
                                          for _ in range(2)))
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    answers = [first.json(), second.json()]
    wanted = sorted(q["erp"] + more)
    assert sum(a["replayed"] for a in answers) == len(wanted)
    assert all(a["matched"] == a["replayed"] + a["skipped"] and a["dry_run"] is False for a in answers)
    assert all(a["circuits"] == [{"backend": "erp", "circuit": "unknown"}] for a in answers)
    assert await outbox_keys(admin) == sorted(f"{i.split('_')[0]}-O-{int(i.split('_')[1])}" for i in wanted)
    now = await statuses(admin)
    assert sorted(i for i, s in now.items() if s == "replayed") == wanted
    assert all(now[i] == "open" for i in q["wms"] + q["hold"] + q["lookalike"])
    again = await admin.http.post(f"{PATH}/replay", json=body, headers=OPERATOR)
    assert again.json()["matched"] == 0 and len(await admin.outbox_rows()) == len(wanted)
    bulk = [e for e in await audit(admin) if e["action"] == "dead_letters.replay_bulk"]
    assert sorted(e["details"]["replayed"] for e in bulk) == sorted([0, *(a["replayed"] for a in answers)])
    assert all(e["subject"] is None and e["details"]["filter"] == body["filter"] for e in bulk)


async def test_replaying_all_needs_confirm_and_a_bulk_filter_cannot_ask_for_closed_letters(admin: Admin) -> None:
    q = await a_mixed_queue(admin)
    body = assert_problem(await admin.http.post(f"{PATH}/replay", json={}, headers=ADMIN), 422, "validation_failed")
    assert [e["field"] for e in body["errors"]] == ["confirm"]
    for bad, field in (({"filter": {"status": "replayed"}}, "filter.status"),
                       ({"filter": {"flow": "nope"}}, "filter.flow"), ({"filter": {"since": "soon"}}, "filter.since"),
                       ({"filter": {"colour": "red"}}, "filter"), ({"limit": 0}, "limit")):
        problem = assert_problem(await admin.http.post(f"{PATH}/replay", json=bad, headers=ADMIN), 422,
                                 "validation_failed")
        assert [e["field"] for e in problem["errors"]] == [field], problem
    assert await admin.outbox_rows() == []
    done = await admin.http.post(f"{PATH}/replay", json={"confirm": True, "limit": 9}, headers=ADMIN)
    assert done.json()["replayed"] == 9  # oldest first: the one left is the newest
    assert [i for i, s in (await statuses(admin)).items() if s == "open"] == q["lookalike"]


async def test_resolve_with_a_note_then_409s(admin: Admin) -> None:
    [kept, replayed] = await admin.add(2)
    answer = await admin.http.post(f"{PATH}/{kept}/resolve", json={"note": "ERP order entered by hand"},
                                   headers=OPERATOR)
    assert answer.status_code == 200, answer.text
    letter = answer.json()
    assert (letter["status"], letter["note"], letter["resolved_by"], letter["replayed_at"]) == (
        "resolved", "ERP order entered by hand", "night-ops (key_ops1)", None)
    assert letter["resolved_at"]
    assert await ids_of(admin, status="resolved") == [kept] and await ids_of(admin, status="open") == [replayed]
    assert_problem(await admin.http.post(f"{PATH}/{kept}/resolve", json={"note": "again"}, headers=ADMIN), 409,
                   "already_resolved")
    assert_problem(await admin.http.post(f"{PATH}/{kept}/replay", headers=ADMIN), 409, "already_resolved")
    assert (await admin.http.post(f"{PATH}/{replayed}/replay", headers=ADMIN)).status_code == 202
    assert_problem(await admin.http.post(f"{PATH}/{replayed}/resolve", json={"note": "late"}, headers=ADMIN), 409,
                   "already_replayed")
    assert await outbox_keys(admin) == ["dl-O-1"]  # the resolved one never went back to the outbox
    assert (await admin.http.post(f"{PATH}/replay", json={"confirm": True}, headers=ADMIN)).json()["matched"] == 0


@pytest.mark.parametrize("body", [{}, {"note": ""}, {"note": "x" * 1001}, {"note": 5}, {"note": "ok", "x": 1}])
async def test_a_resolve_needs_a_note_of_1_to_1000_characters(admin: Admin, body: dict) -> None:
    [letter_id] = await admin.add(1)
    assert_problem(await admin.http.post(f"{PATH}/{letter_id}/resolve", json=body, headers=ADMIN), 422,
                   "validation_failed")
    assert (await statuses(admin)) == {letter_id: "open"} and await audit(admin) == []


async def test_every_action_is_audited_with_who_when_and_what(admin: Admin) -> None:
    [a, b, c] = await admin.add(3, backend="erp")
    assert (await admin.http.post(f"{PATH}/{a}/replay", headers=OPERATOR)).status_code == 202
    assert (await admin.http.post(f"{PATH}/{b}/resolve", json={"note": "duplicate"}, headers=OPERATOR)).status_code \
        == 200
    assert (await admin.http.delete(f"{PATH}/{c}", headers=OPERATOR)).status_code == 204
    assert_problem(await admin.http.post(f"{PATH}/{a}/replay", headers=OPERATOR), 409, "already_replayed")
    entries = await audit(admin)  # newest first; the refused replay changed nothing and left no entry
    assert [(e["action"], e["subject"]) for e in entries] == [
        ("dead_letters.delete", c), ("dead_letters.resolve", b), ("dead_letters.replay", a)]
    assert all(e["actor"] == {"consumer": "night-ops", "key_id": "key_ops1"} for e in entries)
    assert entries[1]["note"] == "duplicate" and entries[0]["details"]["status"] == "open"
    assert entries[2]["details"] == {"topic": "order.accepted", "key": "dl-O-0", "backend": "erp"}
    assert entries[0]["at"] >= entries[1]["at"] >= entries[2]["at"] and entries[0]["at"].endswith("Z")
    first = (await admin.http.get("/admin/v1/audit", params={"limit": "2"}, headers=ADMIN)).json()
    rest = (await admin.http.get("/admin/v1/audit", params={"cursor": first["next_cursor"]}, headers=ADMIN)).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == [e["id"] for e in entries]
    assert rest["next_cursor"] is None
    assert_problem(await admin.http.get("/admin/v1/audit", params={"cursor": "x'"}, headers=ADMIN), 422,
                   "validation_failed")


async def test_the_admin_scope_is_required_for_the_new_operations(admin: Admin) -> None:
    [letter_id] = await admin.add(1)
    reader = as_principal("orders:read")
    for method, path, body in (("POST", f"{PATH}/replay", {"dry_run": True}),
                               ("POST", f"{PATH}/{letter_id}/resolve", {"note": "n"}),
                               ("GET", "/admin/v1/audit", None)):
        assert_problem(await admin.http.request(method, path, json=body, headers=reader), 403, "insufficient_scope")
        assert_problem(await admin.http.request(method, path, json=body), 401, "unauthorized")
    assert await statuses(admin) == {letter_id: "open"} and await audit(admin) == []


async def test_thousands_are_kept_paged_and_replayed_exactly_once(admin: Admin) -> None:
    """No cap: 3,000 letters walk page by page and two concurrent bulk replays (500 a batch)
    replay every one of them once."""
    ids = await admin.add(3000, prefix="big", backend="erp")
    service = DeadLetterService(admin.engine, flows={"erp_posting": ("order.accepted",)}, batch=500)
    seen, cursor = [], None
    while True:
        page = await service.list(200, cursor, where=DeadLetterFilter(flow="erp_posting", status="open"))
        seen += [d.id for d in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert seen == list(reversed(ids))
    answers = await asyncio.gather(*(service.replay_matching(DeadLetterFilter(backend="erp")) for _ in range(2)))
    assert sum(a.replayed for a in answers) == 3000 and all(a.matched == a.replayed + a.skipped for a in answers)
    async with admin.engine.connect() as conn:
        keys = (await conn.execute(select(outbox.c.key, func.count()).group_by(outbox.c.key))).all()
    assert len(keys) == 3000 and {n for _, n in keys} == {1}
    assert set((await statuses(admin)).values()) == {"replayed"}
