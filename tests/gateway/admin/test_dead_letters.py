"""Admin API dead letters (CONTRACT section 7) on SQLite and PostgreSQL: the admin app with
a dead-letter service, called with the principal the edge hands over."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.admin.app import create_admin_app
from shared.bus import LocalBus
from shared.db.engine import create_engine, dispose
from process_apis.ops.catalog import FLOW_TOPICS
from shared.db.ops_tables import audit_log
from shared.db.tables import dead_letters, outbox, processed_messages
from shared.errors import BusinessRuleViolation
from shared.identity import PRINCIPAL_HEADER, Principal, sign_principal
from shared.messaging import DeadLetterService, Message, OutboxStore, TableTransport, Worker, WorkerConfig, enqueue
from tests.gateway.support import assert_problem

SECRET = "test-internal-secret"
PATH = "/admin/v1/dead-letters"
ITEM_FIELDS = {"id", "topic", "key", "reason", "attempts", "first_attempt_at", "dead_at", "replayed_at", "payload",
               "backend", "status", "resolved_at", "resolved_by", "note", "replayed_by"}
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


def as_principal(*scopes: str) -> dict[str, str]:
    principal = Principal(consumer="ops", scopes=frozenset(scopes), plan="internal")
    return {PRINCIPAL_HEADER: sign_principal(principal, SECRET)}


ADMIN = as_principal("admin")


class Admin:
    def __init__(self, engine: AsyncEngine, service: DeadLetterService, http: httpx.AsyncClient) -> None:
        self.engine, self.service, self.http = engine, service, http

    async def add(self, n: int, *, topic: str = "order.accepted", prefix: str = "dl", backend: str | None = None,
                  reason: str = "backend_unavailable: ERP down (retry budget of 900 s spent after 9 attempts)",
                  at: datetime = T0 + timedelta(minutes=15)) -> list[str]:
        ids = [f"{prefix}_{i:05d}" for i in range(n)]
        rows = [{"id": ids[i], "topic": topic, "key": f"{prefix}-O-{i}", "reason": reason, "attempts": 9,
                 "payload": f'{{"order_id":"{prefix}-O-{i}","lines":[1,2]}}', "first_attempt_at": T0,
                 "dead_at": at + timedelta(seconds=i), "backend": backend} for i in range(n)]
        async with self.engine.begin() as conn:
            for start in range(0, n, 500):
                await conn.execute(insert(dead_letters), rows[start:start + 500])
        return ids

    async def outbox_rows(self) -> list[Any]:
        async with self.engine.connect() as conn:
            return (await conn.execute(select(outbox))).all()


@pytest.fixture
async def admin(database_url: str) -> AsyncIterator[Admin]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        for table in (outbox, dead_letters, processed_messages, audit_log):
            await conn.execute(delete(table))
    service = DeadLetterService(engine, flows=FLOW_TOPICS, batch=7)
    app = create_admin_app(None, None, LocalBus(), SECRET, dead_letters=service)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hub") as http:
        yield Admin(engine, service, http)
    await dispose(engine)


async def test_the_listing_shows_newest_first_with_the_payload_decoded(admin: Admin) -> None:
    ids = await admin.add(3)
    response = await admin.http.get(PATH, headers=ADMIN)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["id"] for item in body["items"]] == list(reversed(ids)) and body["next_cursor"] is None
    first = body["items"][0]
    assert set(first) == ITEM_FIELDS
    assert first["payload"] == {"order_id": "dl-O-2", "lines": [1, 2]}
    assert (first["topic"], first["key"], first["attempts"], first["replayed_at"]) == (
        "order.accepted", "dl-O-2", 9, None)
    assert (first["status"], first["resolved_at"], first["resolved_by"], first["note"]) == ("open", None, None, None)
    assert first["reason"].startswith("backend_unavailable: ERP down")
    assert first["dead_at"] == "2026-11-22T10:15:02Z" and first["first_attempt_at"] == "2026-11-22T10:00:00Z"


async def test_the_listing_pages_with_a_cursor_and_filters_by_topic(admin: Admin) -> None:
    ids = await admin.add(5)
    seen, params = [], {"limit": "2"}
    while True:
        body = (await admin.http.get(PATH, params=params, headers=ADMIN)).json()
        seen += [item["id"] for item in body["items"]]
        if not body["next_cursor"]:
            break
        params = {"limit": "2", "cursor": body["next_cursor"]}
    assert seen == list(reversed(ids))
    assert (await admin.http.get(PATH, params={"topic": "shipment.created"}, headers=ADMIN)).json()["items"] == []


@pytest.mark.parametrize("params", [{"limit": "0"}, {"limit": "201"}, {"cursor": "garbage"}])
async def test_a_bad_limit_or_cursor_is_422(admin: Admin, params: dict[str, str]) -> None:
    body = assert_problem(await admin.http.get(PATH, params=params, headers=ADMIN), 422, "validation_failed")
    assert {e["field"] for e in body["errors"]} == set(params)


async def test_one_dead_letter_and_unknown_ids(admin: Admin) -> None:
    [letter_id] = await admin.add(1)
    response = await admin.http.get(f"{PATH}/{letter_id}", headers=ADMIN)
    assert response.status_code == 200 and set(response.json()) == ITEM_FIELDS
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/replay")):
        assert_problem(await admin.http.request(method, f"{PATH}/dl_unknown{suffix}", headers=ADMIN), 404, "not_found")
    assert_problem(await admin.http.post(f"{PATH}/dl_unknown/resolve", json={"note": "n"}, headers=ADMIN), 404,
                   "not_found")


async def test_two_concurrent_replays_one_202_one_409_and_one_outbox_row(admin: Admin) -> None:
    [letter_id] = await admin.add(1)
    first, second = await asyncio.gather(*(admin.http.post(f"{PATH}/{letter_id}/replay", headers=ADMIN)
                                            for _ in range(2)))
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [202, 409], (first.text, second.text)
    accepted, refused = (first, second) if first.status_code == 202 else (second, first)
    assert accepted.json() == {"id": letter_id, "status": "replayed"}
    assert_problem(refused, 409, "already_replayed")
    [row] = await admin.outbox_rows()
    assert (row.key, row.attempts) == ("dl-O-0", 0)
    after = (await admin.http.get(f"{PATH}/{letter_id}", headers=ADMIN)).json()
    assert after["replayed_at"] is not None and after["status"] == "replayed"


async def test_delete_is_204_then_404(admin: Admin) -> None:
    [letter_id] = await admin.add(1)
    response = await admin.http.delete(f"{PATH}/{letter_id}", headers=ADMIN)
    assert response.status_code == 204 and response.content == b""
    assert_problem(await admin.http.delete(f"{PATH}/{letter_id}", headers=ADMIN), 404, "not_found")


async def test_the_admin_scope_is_required(admin: Admin) -> None:
    await admin.add(1)
    assert_problem(await admin.http.get(PATH, headers=as_principal("orders:read")), 403, "insufficient_scope")
    assert_problem(await admin.http.post(f"{PATH}/dl_00000/replay", headers=as_principal("orders:write")), 403,
                   "insufficient_scope")
    assert_problem(await admin.http.get(PATH), 401, "unauthorized")


async def test_a_message_dead_lettered_by_a_worker_is_replayed_through_the_api_and_resumes(admin: Admin) -> None:
    handled: list[str] = []

    async def handle(message: Message) -> None:
        handled.append(message.id)
        if len(handled) == 1:
            raise BusinessRuleViolation("Customer is on credit hold.", code="credit_hold")

    config = WorkerConfig(poll_seconds=0.05)
    worker = Worker(TableTransport(OutboxStore(admin.engine), config), {"order.accepted": handle}, config=config)
    await worker.start()
    try:
        async with admin.engine.begin() as conn:
            await enqueue(conn, "order.accepted", "O-9", b'{"order_id":"O-9"}')
        worker.wake()
        await worker.drain(timeout=10)
        [item] = (await admin.http.get(PATH, headers=ADMIN)).json()["items"]
        assert (item["reason"], item["attempts"], item["payload"]) == (
            "credit_hold: Customer is on credit hold.", 1, {"order_id": "O-9"})
        assert (await admin.http.post(f"{PATH}/{item['id']}/replay", headers=ADMIN)).status_code == 202
        await worker.drain(timeout=10)
        assert len(handled) == 2 and await admin.outbox_rows() == []
    finally:
        await worker.stop()
