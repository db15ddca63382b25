"""Moving to another ERP (issue 13): which ERP owns each order, the primary in force, and the
field-level differences shadow mode saw. Same metadata as ``shared.db.tables``; migration 0024
creates them (docs/connections.md, "Moving to another ERP").

- ``erp_owners``: an order's (or a credit memo's, ``memo:<id>``) ERP connection, decided once by
  one INSERT that only the first writer wins; every later post goes to that one.
- ``erp_routing_state``: one row: the primary an operator switched to (NULL: hub.toml's) and
  since when the routing has run (orders created before then may sit in either ERP).
- ``erp_diff_counts`` / ``erp_diff_samples``: per field path, how often the two ERPs answered
  differently, and the latest sample pairs (capped per field).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text

from shared.db.tables import metadata

_BigId = BigInteger().with_variant(Integer(), "sqlite")

erp_owners = Table(
    "erp_owners",
    metadata,
    Column("ref", String(200), primary_key=True),
    Column("connection", String(40), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
)

erp_routing_state = Table(
    "erp_routing_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("primary_connection", String(40), nullable=True),
    Column("changed_at", DateTime(timezone=True), nullable=True),
    Column("since", DateTime(timezone=True), nullable=False),
)

erp_diff_counts = Table(
    "erp_diff_counts",
    metadata,
    Column("field", String(200), primary_key=True),
    Column("count", BigInteger, nullable=False),
    Column("last_at", DateTime(timezone=True), nullable=False),
)

erp_diff_samples = Table(
    "erp_diff_samples",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("field", String(200), nullable=False),
    Column("key", String(200), nullable=False),
    Column("primary_value", Text, nullable=True),
    Column("secondary_value", Text, nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_erp_diff_samples_field_id", "field", "id"),
    sqlite_autoincrement=True,
)
