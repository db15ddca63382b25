"""The storefront push's tables (issue 11): what the shop should show, and what it was last sent.

Same metadata as ``shared.db.tables``; migration 0017 creates them.

``storefront_marks``: one row per SKU whose availability may have changed
since the pusher last looked. A stock report or a hold marks it in the
transaction of the change (``version`` + 1, ``received_at`` the report's);
the pusher reads the book for it afterwards and sets ``seen_version``.

``storefront_levels``: one row per (sku, location): the absolute value the
shop should show (``desired``, its ``version`` bumped only when it changes,
``basis`` the mark version it was computed at, so an older reading never
overwrites a newer one; ``received_at`` of the report behind it) and what was last sent
(``pushed``, ``pushed_version``, ``pushed_at``). A row is due while
``version > pushed_version``; ``claimed_until``/``claim`` keep two pushers
off the same row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table

from shared.db.tables import metadata

storefront_marks = Table(
    "storefront_marks",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("seen_version", BigInteger, nullable=False, server_default="0"),
    Column("received_at", DateTime(timezone=True), nullable=False),
)

storefront_levels = Table(
    "storefront_levels",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("desired", Integer, nullable=False),
    Column("version", BigInteger, nullable=False),
    Column("basis", BigInteger, nullable=False, server_default="0"),  # the mark version it was read at
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("pushed", Integer, nullable=True),
    Column("pushed_version", BigInteger, nullable=False, server_default="0"),
    Column("pushed_at", DateTime(timezone=True), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("claim", String(40), nullable=True),
    Column("last_error", String(200), nullable=True),
)

# The ops view's lag samples and throughput: the newest pushes first.
Index("ix_storefront_levels_pushed_at", storefront_levels.c.pushed_at)
