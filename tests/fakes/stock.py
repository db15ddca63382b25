"""The ``StockPort`` fake: a list of levels; every ask recorded in ``calls``; ``failure`` is raised,
``hang`` never answers."""

from __future__ import annotations

import asyncio

from shared.models import StockLevel


class FakeStock:
    def __init__(self, *levels: StockLevel) -> None:
        self.levels = list(levels)
        self.failure: Exception | None = None
        self.hang = False
        self.calls: list[list[str]] = []

    async def get_stock(self, skus: list[str]) -> list[StockLevel]:
        self.calls.append(list(skus))
        if self.hang:
            await asyncio.Event().wait()
        if self.failure is not None:
            raise self.failure
        return [lvl for lvl in self.levels if lvl.sku in skus]
