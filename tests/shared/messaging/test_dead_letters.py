"""The dead-letter service (shared/messaging/dead_letters.py) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.tables import dead_letters
from shared.errors import Conflict, NotFound, ValidationFailed
from tests.shared.messaging.conftest import Backbone

DB_ONLY = pytest.mark.parametrize(
    "deployment", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
T0 = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)


async def add_dead(engine: AsyncEngine, n: int, *, topic: str = "order.accepted", start: int = 0,
                   same_time: bool = False) -> list[str]:
    """``n`` dead letters, the later one the newer (or all at one instant); their ids."""
    ids = []
    async with engine.begin() as conn:
        for i in range(start, start + n):
            ids.append(f"dl_{i:04d}")
            await conn.execute(insert(dead_letters).values(
                id=ids[-1], topic=topic, key=f"O-{i}", payload=f'{{"order_id":"O-{i}"}}', reason="credit_hold: no",
                attempts=1, first_attempt_at=T0, dead_at=T0 + timedelta(seconds=0 if same_time else i)))
    return ids


@DB_ONLY
@pytest.mark.parametrize("same_time", [False, True])
async def test_the_listing_is_newest_first_and_pages_through_every_letter(backbone: Backbone, same_time: bool) -> None:
    ids = await add_dead(backbone.engine, 7, same_time=same_time)
    letters = backbone.dead_letters()
    seen, cursor = [], None
    while True:
        page = await letters.list(limit=3, cursor=cursor)
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(ids))
    first = (await letters.list(limit=1)).items[0]
    assert (first.payload, first.dead_at.tzinfo, first.reason) == ({"order_id": "O-6"}, UTC, "credit_hold: no")


@DB_ONLY
async def test_the_listing_filters_by_topic(backbone: Backbone) -> None:
    await add_dead(backbone.engine, 2)
    shipped = await add_dead(backbone.engine, 2, topic="shipment.created", start=10)
    page = await backbone.dead_letters().list(topic="shipment.created")
    assert [i.id for i in page.items] == list(reversed(shipped)) and page.next_cursor is None


@DB_ONLY
async def test_a_forged_cursor_is_a_validation_error(backbone: Backbone) -> None:
    with pytest.raises(ValidationFailed) as caught:
        await backbone.dead_letters().list(cursor="bm90IGEgY3Vyc29y")
    assert caught.value.errors == [{"field": "cursor", "message": "not a cursor from this listing"}]


@DB_ONLY
async def test_unknown_ids_are_not_found_and_delete_removes(backbone: Backbone) -> None:
    [letter_id] = await add_dead(backbone.engine, 1)
    letters = backbone.dead_letters()
    for call in (letters.get, letters.replay, letters.delete):
        with pytest.raises(NotFound):
            await call("dl_missing")
    assert (await letters.get(letter_id)).key == "O-0"
    await letters.delete(letter_id)
    with pytest.raises(NotFound):
        await letters.get(letter_id)


@DB_ONLY
async def test_a_replay_enqueues_once_and_wakes_the_worker(backbone: Backbone) -> None:
    [letter_id] = await add_dead(backbone.engine, 1)
    woken = []
    letters = backbone.dead_letters(wake=lambda: woken.append(True))
    replayed = await letters.replay(letter_id)
    assert replayed.status == "replayed" and woken == [True]
    assert (await letters.get(letter_id)).replayed_at is not None
    [row] = await backbone.rows()
    assert (row.topic, row.key, row.payload, row.attempts, row.first_attempt_at) == (
        "order.accepted", "O-0", '{"order_id":"O-0"}', 0, None)
    with pytest.raises(Conflict) as caught:
        await letters.replay(letter_id)
    assert caught.value.code == "already_replayed" and len(await backbone.rows()) == 1
