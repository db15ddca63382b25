"""``StockBook.held_elsewhere``: the captures that finish together share one transaction for their
marks (a hot SKU's mark row is bumped once per batch, not once per order), and each caller returns
only once its SKUs are marked. On the embedded SQLite and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import secrets

import pytest
from sqlalchemy import select

from process_apis.inventory.stock import StockBook
from process_apis.storefront import levels as storefront
from shared.db.engine import create_engine, dispose
from shared.db.storefront_tables import storefront_marks as marks


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


async def _versions(engine, skus: list[str]) -> dict[str, int]:  # noqa: ANN001
    async with engine.connect() as conn:
        return dict((await conn.execute(select(marks.c.sku, marks.c.version).where(marks.c.sku.in_(skus)))).all())


async def test_captures_finishing_together_mark_each_sku_once_and_return_marked(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        tag = secrets.token_hex(3).upper()
        hot, cold = f"HOT-{tag}", f"COLD-{tag}"
        book = StockBook(engine, {}, on_change=storefront.mark)
        await asyncio.gather(*(book.held_elsewhere([hot]) for _ in range(20)), book.held_elsewhere([cold, hot]))
        # every caller has returned: its SKUs are marked (committed), in one batch (before: 21 bumps)
        assert await _versions(engine, [hot, cold]) == {hot: 1, cold: 1}
        await book.held_elsewhere([hot])  # a later capture: a batch of its own
        assert (await _versions(engine, [hot]))[hot] == 2
    finally:
        await dispose(engine)


async def test_no_on_change_marks_nothing(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        sku = f"NONE-{secrets.token_hex(3).upper()}"
        await StockBook(engine, {}).held_elsewhere([sku])
        assert await _versions(engine, [sku]) == {}
    finally:
        await dispose(engine)
