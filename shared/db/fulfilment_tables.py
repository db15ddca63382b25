"""Routing an order's lines to several fulfilment connections (issue 13): its release parts.
Same metadata as ``shared.db.tables``; migration 0025 creates it (docs/connections.md,
"Fulfilment: an order's lines by location").

- ``order_releases``: one row per (order, fulfilment connection) it is released to, planned once
  (the SKUs and lines it takes, where they ship from) and then marked released (the
  connection's fulfilment id) and shipped; a redelivered release skips the parts marked released.
"""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, String, Table

from shared.db.tables import metadata

order_releases = Table(
    "order_releases",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("connection", String(40), primary_key=True),
    Column("lines", JSON, nullable=False),  # [{"sku", "quantity", "location"}], in the order's line order
    Column("planned_at", DateTime(timezone=True), nullable=False),
    Column("fulfilment_id", String(64), nullable=True),
    Column("released_at", DateTime(timezone=True), nullable=True),
    Column("shipped_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(500), nullable=True),
    Index("ix_order_releases_fulfilment_id", "fulfilment_id"),
    Index("ix_order_releases_open", "connection", "shipped_at"),
)
