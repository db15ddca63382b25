"""Where each polled channel connection's order feed stands (``system_apis/channel/polling.py``).
Same metadata as ``shared.db.tables``; migration 0029 creates it.

- ``channel_poll_cursors``: one row per connection whose adapter is polled for orders, the cursor
  to ask from next, written only after the orders before it were accepted. Compared as bytes (the
  ``C`` collation on PostgreSQL, SQLite's default ``BINARY``), so a store never moves it backwards.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, String, Table, Text

from shared.db.tables import metadata

CursorText = Text().with_variant(Text(collation="C"), "postgresql")
"""Unbounded text ordered bytewise on both databases, whatever PostgreSQL's default collation."""

channel_poll_cursors = Table(
    "channel_poll_cursors",
    metadata,
    Column("connection", String(64), primary_key=True),
    Column("cursor", CursorText, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
