"""Operations tables (issue 12): the audit log of operators' actions, and the indexes behind
the dead-letter filters, the inventory lag samples and the flows' handler latency. Same metadata as ``shared.db.tables``;
migrations 0013 and 0015 create them."""

from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, String, Table

from shared.db.tables import BigId, dead_letters, journey_steps, metadata, stock_levels, webhook_deliveries

# Who did what, when: one row per operator action, written in the transaction of the change
# it records. Never a key secret: the actor is the key's id and consumer.
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor_key_id", String(40), nullable=True),
    Column("actor_consumer", String(200), nullable=False),
    Column("action", String(64), nullable=False),  # e.g. dead_letters.replay, dead_letters.resolve
    Column("subject", String(64), nullable=True),  # the one thing acted on (a dead letter id), if one
    Column("details", JSON, nullable=False),  # what: the filter and counts of a bulk action, ...
    Column("note", String(1000), nullable=True),
    sqlite_autoincrement=True,
)

# The dead-letter listing's filters (newest first within each): open letters, by backend, by topic.
Index("ix_dead_letters_status_dead_at", dead_letters.c.status, dead_letters.c.dead_at)
Index("ix_dead_letters_backend_dead_at", dead_letters.c.backend, dead_letters.c.dead_at)
Index("ix_dead_letters_topic_dead_at", dead_letters.c.topic, dead_letters.c.dead_at)

# Inventory propagation lag: the newest stock reports made checkout-visible in the last hour.
Index("ix_stock_levels_visible_at", stock_levels.c.visible_at)
# A flow's handler latency: its topics' newest steps of the hour.
Index("ix_journey_steps_step_at", journey_steps.c.step, journey_steps.c.at)
# The partner webhooks flow: deliveries made in the last hour (throughput, event-to-delivery latency).
Index("ix_webhook_deliveries_delivered_at", webhook_deliveries.c.delivered_at)
