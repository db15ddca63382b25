"""shared.together: concurrent awaits that end with their caller."""

from __future__ import annotations

import asyncio
import gc

import pytest

from shared.errors import NotFound
from shared.together import together


class Hanging:
    """An awaitable's body that waits for ever and notes how it ended."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.ended: str | None = None

    async def __call__(self) -> int:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await asyncio.sleep(0)  # a cancellation that takes a step to finish, as a connection's does
            self.ended = "cancelled"
            raise
        return 0


async def _fails_after(started: asyncio.Event) -> int:
    await started.wait()
    raise NotFound("no such SKU", code="unknown_sku")


async def test_the_results_come_in_the_order_asked() -> None:
    async def value(v: int, delay: int) -> int:
        for _ in range(delay):
            await asyncio.sleep(0)
        return v

    assert await together(value(1, 3), value(2, 0), value(3, 1)) == [1, 2, 3]
    assert await together() == []


async def test_a_failure_cancels_and_awaits_the_others_then_propagates_as_itself() -> None:
    hanging = Hanging()
    with pytest.raises(NotFound) as caught:  # not an ExceptionGroup
        await together(hanging(), _fails_after(hanging.started))
    assert caught.value.code == "unknown_sku"
    assert hanging.ended == "cancelled"  # finished before the error reached the caller


async def test_a_cancelled_caller_waits_for_its_work_to_end() -> None:
    hanging = Hanging()
    caller = asyncio.create_task(together(hanging(), Hanging()()))
    await hanging.started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert hanging.ended == "cancelled"


async def test_a_deadline_ends_the_work_and_is_a_timeout() -> None:
    hanging = Hanging()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await together(hanging())
    assert hanging.ended == "cancelled"


async def test_a_second_failure_is_retrieved_not_reported_as_lost(caplog: pytest.LogCaptureFixture) -> None:
    gate = asyncio.Event()

    async def fails(message: str) -> None:
        await gate.wait()
        raise ValueError(message)

    work = asyncio.ensure_future(together(fails("first"), fails("second")))
    await asyncio.sleep(0)
    gate.set()
    with pytest.raises(ValueError, match="first"):
        await work
    gc.collect()
    await asyncio.sleep(0)
    assert "never retrieved" not in caplog.text


async def test_a_caller_cancelled_again_while_ending_its_work_still_waits_for_it() -> None:
    """A second cancellation, arriving while ``together`` waited for the work it had cancelled
    after a failure, interrupted that wait: the caller went on and the work ran on behind it,
    owned by nobody (an order's customer read was still ending when the next order asked)."""
    ending, seen = asyncio.Event(), []

    async def slow_to_end() -> int:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await ending.wait()  # a clean-up that takes a while, as a connection's does
            seen.append("work ended")
            raise
        return 0

    started = asyncio.Event()

    async def starts_then_fails() -> int:
        started.set()
        await asyncio.sleep(0)
        raise NotFound("no such SKU", code="unknown_sku")

    caller = asyncio.create_task(together(slow_to_end(), starts_then_fails()))
    caller.add_done_callback(lambda _: seen.append("caller returned"))
    await started.wait()
    for _ in range(3):
        await asyncio.sleep(0)  # the failure is in; together is waiting for the slow one
    caller.cancel()  # as an enclosing together does when a sibling of the caller fails
    for _ in range(5):
        await asyncio.sleep(0)
    ending.set()
    with pytest.raises((NotFound, asyncio.CancelledError)):
        await asyncio.wait_for(caller, 5)
    assert seen == ["work ended", "caller returned"]
