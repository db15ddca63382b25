"""``shared.periodic.run_every``: rounds on an interval (with bounded jitter), a failed round
logged and survived, cancellation never swallowed."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shared import periodic
from shared.periodic import run_every

log = logging.getLogger("tests.periodic")


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:  # noqa: ANN001
    """The sleeps asked for (each returns at once); the third ends the loop by cancelling it."""
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        if len(asked) == 3:
            raise asyncio.CancelledError

    monkeypatch.setattr(periodic.asyncio, "sleep", sleep)
    return asked


async def test_a_failed_round_is_logged_and_the_next_one_runs(sleeps, caplog) -> None:  # noqa: ANN001
    rounds: list[int] = []

    async def round_() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database hiccup")

    with caplog.at_level(logging.ERROR, logger="tests.periodic"), pytest.raises(asyncio.CancelledError):
        await run_every(round_, 5.0, log=log, what="shipment polling")
    assert rounds == [0, 1, 2] and sleeps == [5.0, 5.0, 5.0]
    [failed] = [r for r in caplog.records if r.name == "tests.periodic"]
    assert failed.getMessage() == "shipment polling round failed" and failed.exc_info is not None


async def test_jitter_adds_at_most_its_bound(sleeps) -> None:  # noqa: ANN001
    async def round_() -> None:
        return None

    with pytest.raises(asyncio.CancelledError):
        await run_every(round_, 2.0, log=log, what="x", jitter=0.5)
    assert len(sleeps) == 3 and all(2.0 <= s <= 2.5 for s in sleeps), sleeps


async def test_cancelling_a_round_in_flight_stops_the_loop() -> None:
    started, never = asyncio.Event(), asyncio.Event()

    async def round_() -> None:
        started.set()
        await never.wait()

    task = asyncio.create_task(run_every(round_, 0.01, log=log, what="x"))
    await asyncio.wait_for(started.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert task.cancelled()


async def test_an_interval_of_zero_is_refused() -> None:
    async def round_() -> None:
        return None

    with pytest.raises(ValueError):
        await run_every(round_, 0, log=log, what="x")
