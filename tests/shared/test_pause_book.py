"""The pause book's cache (shared/ops/pauses.py): every handler of a worker asks it before each
backend call, so callers that find it lapsed together share one read, and a read overtaken by a
pause or resume is not kept."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event

from shared.bus import LocalBus
from shared.db.engine import create_engine, dispose
from shared.ops.pauses import PauseBook


@pytest.fixture
async def engine(sqlite_url: str):  # noqa: ANN201
    engine = create_engine(sqlite_url)
    yield engine
    await dispose(engine)


def reads_of(engine, during=None) -> list[str]:  # noqa: ANN001
    """The book's reads of the whole pause table on ``engine`` from now on (``during()`` runs as
    each is sent)."""
    seen: list[str] = []

    def sent(conn, cursor, statement, *rest) -> None:  # noqa: ANN001, ANN002
        if "backend_pauses" in statement and statement.lstrip().upper().startswith("SELECT") \
                and "WHERE" not in statement.upper():
            seen.append(statement)
            if during is not None:
                during()

    event.listen(engine.sync_engine, "before_cursor_execute", sent)
    return seen


async def test_callers_finding_the_cache_lapsed_together_share_one_read(engine) -> None:  # noqa: ANN001
    book = PauseBook(engine, LocalBus())
    reads = reads_of(engine)
    answers = await asyncio.gather(*(book.current() for _ in range(20)))
    assert answers == [{}] * 20 and len(reads) == 1
    await book.pause("erp", "ops")  # announced: the next caller reads again
    assert "erp" in await book.current() and len(reads) == 2


async def test_a_read_overtaken_by_a_change_is_answered_but_not_kept(engine) -> None:  # noqa: ANN001
    book = PauseBook(engine, LocalBus())
    reads = reads_of(engine, during=lambda: book._changed() if len(reads) == 1 else None)  # noqa: SLF001
    assert await book.current() == {}  # the first read: a pause announced while it ran
    assert await book.current() == {} and len(reads) == 2  # not cached: read again
    assert await book.current() == {} and len(reads) == 2  # this one was kept


async def test_an_overtaken_read_finishing_last_does_not_replace_the_newer_answer(engine) -> None:  # noqa: ANN001
    """Two reads in flight, a pause announced between their starts: the older one, finishing last,
    is answered to its own callers but the book keeps what the newer one read."""
    book = PauseBook(engine, LocalBus())
    older_may_finish = asyncio.Event()

    async def held_read(inner=book._read):  # noqa: ANN001, ANN202, SLF001 - the seam under test
        found = await inner()
        if not older_may_finish.is_set() and "erp" not in found:
            await older_may_finish.wait()  # the first read waits until the newer one is done
        return found

    book._read = held_read  # noqa: SLF001
    sent = reads_of(engine)
    older = asyncio.create_task(book.current())
    while not sent:  # until the older read's SELECT is on its way (the shared read runs as a task of its own)
        await asyncio.sleep(0)
    await book.pause("erp", "ops")  # a change: the next caller starts a newer read
    newer = await book.current()
    older_may_finish.set()
    assert "erp" in newer and await older == {}
    assert "erp" in await book.current()  # the book kept the newer answer
