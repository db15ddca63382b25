"""Polling a channel that sends no webhooks: each order queued once across rounds, a failing feed
asked again from the same cursor, the other feeds unharmed; the cursor stored once its page's
orders are accepted (never before), a new poller (a restart) going on from it, and never moved back
by a slower instance."""

from __future__ import annotations

import uuid

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from shared.db.engine import create_engine, dispose
from shared.db.tables import outbox
from shared.errors import BackendUnavailable
from shared.idempotency import IdempotencyLedger
from system_apis.channel import polling
from system_apis.channel.poll_cursors import PollCursors
from system_apis.channel.polling import ChannelPoller
from tests.fakes.channel import FakeOrderFeed, stamp


@pytest.fixture(params=["sqlite_url", "pg_url"])
def db_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(request.param)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[object]:
    engine = create_engine(db_url)
    yield engine
    await dispose(engine)


def poller(engine: object, **feeds: FakeOrderFeed) -> ChannelPoller:
    """A poller as a (re)started hub makes one: nothing in memory."""
    ledger = IdempotencyLedger(engine, ttl=timedelta(hours=72))
    return ChannelPoller({name: (name, feed) for name, feed in feeds.items()}, engine, ledger, interval=1.0)


async def queued(engine: object, ref: str) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(outbox).where(outbox.c.key == ref))).scalar_one()


async def test_each_polled_order_is_queued_once_and_a_failing_feed_keeps_its_cursor(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    good, down = FakeOrderFeed(), FakeOrderFeed()
    down.failure = BackendUnavailable("down", backend="x")
    good.place("3001"), good.place("3002")
    polls = poller(engine, mage=good, other=down)
    try:
        assert await polls.poll_once() == 2
        good.place("3003")
        assert await polls.poll_once() == 1  # 3001 and 3002 again: duplicates
        async with engine.connect() as conn:
            total = (await conn.execute(select(func.count()).select_from(outbox))).scalar_one()
    finally:
        await dispose(engine)

    assert total == 3
    assert good.asked == [None, stamp(good.now)] and down.asked == [None, None]


async def test_a_restarted_poller_goes_on_from_the_stored_cursor_past_the_look_back(engine: object) -> None:
    """Regression: the cursor lived in memory, so a poller made after a restart longer than the
    look-back asked from the look-back and never saw an order placed in between."""
    feed = FakeOrderFeed()
    tag = uuid.uuid4().hex[:8]  # the session's database outlives the test: names of its own
    name = f"mage-{tag}"
    first = feed.place(f"r-{tag}-1")
    assert await poller(engine, **{name: feed}).poll_once() == 1
    start = feed.now
    feed.now += timedelta(hours=72)  # the hub was down for three days
    missed = f"r-{tag}-2"
    feed.place(missed, at=start + timedelta(hours=36))  # older than the 24 h look-back now

    assert await poller(engine, **{name: feed}).poll_once() == 1
    assert feed.asked == [None, first]
    assert await queued(engine, missed) == 1


async def test_the_cursor_is_stored_only_after_its_page_is_accepted(engine: object,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression: a page whose orders could not be accepted must leave the stored cursor where it
    was, so the restarted poller asks that page again instead of skipping its orders."""
    feed = FakeOrderFeed()
    tag = uuid.uuid4().hex[:8]  # the session's database outlives the test: names of its own
    name, lost = f"mage-{tag}", f"r-{tag}-2"
    first = feed.place(f"r-{tag}-1")
    polls = poller(engine, **{name: feed})
    assert await polls.poll_once() == 1
    feed.now += timedelta(hours=72)
    feed.place(lost, at=feed.now - timedelta(hours=36))
    accept = polling.accept_order

    async def failing(*args: object, **kw: object) -> str:
        if args[4].channel_order_ref == lost:  # accept_order(engine, ledger, name, delivery_id, order, ...)
            raise ConnectionError("the database went away")
        return await accept(*args, **kw)

    monkeypatch.setattr(polling, "accept_order", failing)
    with pytest.raises(ConnectionError):
        await polls.poll_once()
    stored = await PollCursors(engine).load(name)
    monkeypatch.setattr(polling, "accept_order", accept)
    assert await polls.poll_once() == 1  # the same poller asks the same page again

    assert stored == first
    assert feed.asked == [None, first, first]
    assert await queued(engine, lost) == 1


async def test_a_slower_instance_never_moves_the_stored_cursor_back(engine: object) -> None:
    """Two instances polling one platform: the one whose page was read before a later order came
    stores after the other; the later cursor stays."""
    ahead, behind = FakeOrderFeed(), FakeOrderFeed()  # one platform, read at two moments
    tag = uuid.uuid4().hex[:8]  # the session's database outlives the test: names of its own
    name, refs = f"mage-{tag}", [f"r-{tag}-{i}" for i in (1, 2, 3)]
    one, other = poller(engine, **{name: ahead}), poller(engine, **{name: behind})
    ahead.place(refs[0]), behind.place(refs[0])
    assert await other.poll_once() == 1 and await one.poll_once() == 0  # both at the first order's time
    for feed in (ahead, behind):
        feed.place(refs[1], at=feed.now + timedelta(minutes=2))
    ahead.place(refs[2], at=ahead.now + timedelta(minutes=5))  # after the slower one read its page
    assert await one.poll_once() == 2  # stores 09:05
    assert await other.poll_once() == 0  # its page ends at 09:02: stored after, a no-op

    assert behind.asked == [None, stamp(behind.now)]
    assert await PollCursors(engine).load(name) == stamp(ahead.now + timedelta(minutes=5))
