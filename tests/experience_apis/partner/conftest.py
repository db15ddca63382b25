"""Shared by the partner webhook tests: a local receiver of deliveries (``receiver.url``)."""

from __future__ import annotations

import pytest

from tests.process_apis.notifications.receiver import Receiver


@pytest.fixture
async def receiver():  # noqa: ANN201
    r = Receiver()
    r.url = await r.start()  # type: ignore[attr-defined]
    yield r
    await r.stop()
