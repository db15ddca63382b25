"""Single flight: one call per key however many callers arrive together."""

from __future__ import annotations

import asyncio

import pytest

from shared.singleflight import SingleFlight


async def test_concurrent_callers_share_one_call_and_one_leads():
    flight: SingleFlight[int] = SingleFlight()
    calls = 0
    gate = asyncio.Event()

    async def call() -> int:
        nonlocal calls
        calls += 1
        await gate.wait()
        return 42

    tasks = [asyncio.create_task(flight.run("k", call)) for _ in range(10)]
    await asyncio.sleep(0)
    gate.set()
    results = await asyncio.gather(*tasks)
    assert calls == 1
    assert [r for r, _ in results] == [42] * 10
    assert sum(leader for _, leader in results) == 1


async def test_the_leaders_failure_reaches_every_follower_and_the_next_call_runs_again():
    flight: SingleFlight[int] = SingleFlight()
    gate = asyncio.Event()

    async def failing() -> int:
        await gate.wait()
        raise RuntimeError("backend down")

    tasks = [asyncio.create_task(flight.run("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    gate.set()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)

    async def ok() -> int:
        return 7

    assert await flight.run("k", ok) == (7, True)


async def test_different_keys_do_not_wait_for_each_other():
    flight: SingleFlight[str] = SingleFlight()
    blocked = asyncio.Event()

    async def slow() -> str:
        await blocked.wait()
        return "a"

    async def fast() -> str:
        return "b"

    slow_task = asyncio.create_task(flight.run("a", slow))
    await asyncio.sleep(0)
    assert await asyncio.wait_for(flight.run("b", fast), 1) == ("b", True)
    blocked.set()
    assert await slow_task == ("a", True)


class _Gated:
    """A call that waits for ``gate`` and notes whether it finished or was cancelled."""

    def __init__(self) -> None:
        self.gate, self.started, self.calls, self.ended = asyncio.Event(), asyncio.Event(), 0, ""

    async def __call__(self) -> int:
        self.calls += 1
        self.started.set()
        try:
            await self.gate.wait()
        except asyncio.CancelledError:
            self.ended = "cancelled"
            raise
        self.ended = "finished"
        return 42


async def test_the_leader_going_away_leaves_the_call_to_its_followers():
    """The call ran in the leader's task: cancelling the leader cancelled the call and every
    follower raised the leader's CancelledError."""
    flight: SingleFlight[int] = SingleFlight()
    call = _Gated()
    leader = asyncio.create_task(flight.run("k", call))
    await call.started.wait()
    follower = asyncio.create_task(flight.run("k", call))
    await asyncio.sleep(0)  # the follower joins the flight
    leader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await leader
    call.gate.set()
    assert await asyncio.wait_for(follower, 1) == (42, False)
    assert (call.calls, call.ended) == (1, "finished")


async def test_a_follower_going_away_leaves_the_call_to_the_leader():
    flight: SingleFlight[int] = SingleFlight()
    call = _Gated()
    leader = asyncio.create_task(flight.run("k", call))
    await call.started.wait()
    follower = asyncio.create_task(flight.run("k", call))
    await asyncio.sleep(0)
    follower.cancel()
    with pytest.raises(asyncio.CancelledError):
        await follower
    call.gate.set()
    assert await asyncio.wait_for(leader, 1) == (42, True)


async def test_the_last_caller_going_away_ends_the_call_before_its_cancellation_returns():
    flight: SingleFlight[int] = SingleFlight()
    call = _Gated()
    callers = [asyncio.create_task(flight.run("k", call)) for _ in range(2)]
    await call.started.wait()
    for caller in callers:
        caller.cancel()
    outcomes = await asyncio.gather(*callers, return_exceptions=True)
    assert all(isinstance(o, asyncio.CancelledError) for o in outcomes)
    assert call.ended == "cancelled"  # nothing runs on behind everyone
    fresh = _Gated()
    fresh.gate.set()
    assert await flight.run("k", fresh) == (42, True)  # and the next caller starts afresh


class _SlowToEnd(_Gated):
    """A call whose cancellation takes until ``ending`` is set to finish, as a database
    connection's clean-up does."""

    def __init__(self) -> None:
        super().__init__()
        self.cancelling, self.ending = asyncio.Event(), asyncio.Event()

    async def __call__(self) -> int:
        try:
            return await super().__call__()
        except asyncio.CancelledError:
            self.cancelling.set()
            await self.ending.wait()
            raise


async def test_a_caller_arriving_while_the_abandoned_call_ends_starts_a_call_of_its_own():
    """The abandoned call stayed the key's flight until it had ended: a caller arriving
    meanwhile joined it and raised its CancelledError, though nobody had cancelled that caller."""
    flight: SingleFlight[int] = SingleFlight()
    abandoned = _SlowToEnd()
    last = asyncio.create_task(flight.run("k", abandoned))
    await abandoned.started.wait()
    last.cancel()
    await abandoned.cancelling.wait()  # the last caller left; the call is still ending
    fresh = _Gated()
    fresh.gate.set()
    newcomer = asyncio.create_task(flight.run("k", fresh))
    await asyncio.sleep(0)  # the newcomer finds the key's flight, or starts one
    abandoned.ending.set()
    assert await asyncio.wait_for(newcomer, 5) == (42, True)
    with pytest.raises(asyncio.CancelledError):
        await last
    assert (abandoned.ended, fresh.ended) == ("cancelled", "finished")
