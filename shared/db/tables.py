"""Database tables (SQLAlchemy Core). Alembic migrations create them; rows never leave
a repository: repositories return msgspec Structs."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("previous_hash", String(64), nullable=True, unique=True),
    Column("previous_expires_at", DateTime(timezone=True), nullable=True),
    Column("consumer", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("plan", String(64), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("bootstrap", Boolean, nullable=False, default=False),
)
Index("ix_api_keys_consumer", api_keys.c.consumer)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("private_pem", String, nullable=False),  # unbounded: TEXT on SQLite, VARCHAR on PostgreSQL
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
# At most one active (not retired) key per algorithm: two instances generating or
# rotating at once cannot both win; the loser re-reads the winner's key.
Index(
    "uq_signing_keys_active",
    signing_keys.c.algorithm,
    unique=True,
    sqlite_where=signing_keys.c.retired_at.is_(None),
    postgresql_where=signing_keys.c.retired_at.is_(None),
)

plans = Table(
    "plans",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("rate_per_second", Float, nullable=False),
    Column("burst", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# An auto-increment 64-bit id (SQLite only auto-increments an INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    # whose key and for what: "<consumer> POST /orders", "hook:shopify", ...
    Column("scope", String(300), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # in_flight | done
    Column("status_code", Integer, nullable=True),
    Column("response", Text, nullable=True),
    Column("resource_id", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
)
Index("ix_idempotency_keys_expires_at", idempotency_keys.c.expires_at)

orders = Table(
    "orders",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("consumer", String(200), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("channel", String(20), nullable=False),
    Column("channel_order_ref", String(128), nullable=True),
    Column("po_number", String(128), nullable=True),
    Column("business_key", String(300), nullable=True, unique=True),
    Column("currency", String(3), nullable=False),
    Column("total", String(24), nullable=False),  # decimal string: exact on SQLite too
    Column("status", String(16), nullable=False),
    Column("erp_order_number", String(64), nullable=True),
    Column("fulfilment_id", String(64), nullable=True),
    Column("lines", JSON, nullable=False),
    Column("ship_to", JSON, nullable=True),
    Column("payment", JSON, nullable=True),
    Column("hold_reason", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_orders_customer_created", orders.c.customer_id, orders.c.created_at)
Index("ix_orders_consumer_created", orders.c.consumer, orders.c.created_at)

order_history = Table(
    "order_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("order_id", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", String(500), nullable=True),
    Column("trace_id", String(32), nullable=True),  # the trace the change happened in (journeys)
    Column("latency_ms", Float, nullable=True),  # 'accepted': arrival at the process layer to the commit
)
Index("ix_order_history_order_id", order_history.c.order_id)

shipments = Table(
    "shipments",
    metadata,
    # the WMS's shipment id, unique within its order (a vendor's numbering is not ours to trust further)
    Column("order_id", String(40), primary_key=True),
    Column("shipment_id", String(64), primary_key=True),
    Column("carrier", String(64), nullable=False),
    Column("tracking_number", String(128), nullable=False),
    Column("shipped_at", DateTime(timezone=True), nullable=False),
    Column("lines", JSON, nullable=False),
)

stock_levels = Table(
    "stock_levels",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("location", String(64), primary_key=True),
    Column("on_hand", Integer, nullable=False), Column("available", Integer, nullable=False),
    Column("sequence", BigInteger, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True)), Column("visible_at", DateTime(timezone=True)),  # lag (0015)
    Column("source", String(16), nullable=True),  # the stock source that reports it (wms, pos); 0014
)

stock_reservations = Table(
    "stock_reservations",
    metadata,
    Column("sku", String(64), primary_key=True),
    Column("reserved", Integer, nullable=False),
)

customer_credit = Table(
    "customer_credit",
    metadata,
    Column("customer_id", String(64), primary_key=True),
    Column("open_cents", BigInteger, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("topic", String(64), nullable=False),
    Column("key", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("published_at", DateTime(timezone=True), nullable=True),
    Column("last_error", String(500), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # the W3C traceparent of the request that enqueued it: the handler's span is its child
    Column("traceparent", String(55), nullable=True),
    # ids are message ids, keyed in processed_messages: SQLite must never reuse one
    sqlite_autoincrement=True,
)
Index("ix_outbox_due", outbox.c.available_at, outbox.c.id)  # the claim's condition and order

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("topic", String(64), nullable=False),
    Column("key", String(128), nullable=False),
    Column("payload", Text, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("dead_at", DateTime(timezone=True), nullable=False),
    Column("replayed_at", DateTime(timezone=True), nullable=True), Column("replayed_by", String(250)),  # 0015
    Column("backend", String(40), nullable=True),  # the backend the last error came from, if any
    Column("status", String(16), nullable=False, default="open"),  # open | replayed | resolved (issue 12)
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Column("resolved_by", String(250), nullable=True),  # "<consumer> (<key id>)": who resolved it, never a secret
    Column("note", String(1000), nullable=True),  # why it was resolved without a replay
)
Index("ix_dead_letters_dead_at", dead_letters.c.dead_at)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("message_id", String(64), primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False),
)
Index("ix_processed_messages_processed_at", processed_messages.c.processed_at)  # the retention sweep

# --- returns (issue 5) ------------------------------------------------------------

returns = Table(
    "returns",
    metadata,
    Column("rma_id", String(40), primary_key=True),
    Column("order_id", String(40), nullable=False),
    Column("consumer", String(200), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("channel", String(20), nullable=False),  # where it was asked for: storefront, mobile, partner
    Column("status", String(16), nullable=False),  # authorized | rejected | pending_review
    Column("currency", String(3), nullable=False),
    Column("refund_amount", String(24), nullable=False),  # decimal string
    Column("refund_status", String(16), nullable=False),  # pending | issued | failed | not_applicable
    Column("refund_method", String(16), nullable=False),  # card | account_credit | channel | none
    Column("refund_reason", String(500), nullable=True),  # why the refund failed
    Column("saga_step", String(32), nullable=True),  # the refund saga's next step; None before approval
    Column("credit_memo_id", String(64), nullable=True),
    Column("refund_id", String(64), nullable=True),
    Column("lines", JSON, nullable=False),
    Column("version", Integer, nullable=False),  # +1 on every change: line edits are conditional on it
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_returns_order_id", returns.c.order_id)
Index("ix_returns_customer_created", returns.c.customer_id, returns.c.created_at)

return_history = Table(
    "return_history",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rma_id", String(40), nullable=False),
    Column("status", String(16), nullable=False),
    Column("refund_status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", String(500), nullable=True),
    Column("trace_id", String(32), nullable=True),
)
Index("ix_return_history_rma_id", return_history.c.rma_id)

# What may still come back, per (order, sku): units claimed by approved lines of returns
# that are authorized or waiting for review. Claiming is one conditional UPDATE
# (claimed + q <= shipped), so two returns racing for the same units never both win.
return_claims = Table(
    "return_claims",
    metadata,
    Column("order_id", String(40), primary_key=True),
    Column("sku", String(64), primary_key=True),
    Column("claimed", Integer, nullable=False),
)


# --- journeys (issue 12) -----------------------------------------------------------
# Every identifier an order or return has carried is indexed where it lives (partial
# indexes: a NULL costs capture nothing); identifiers with no column of their own (a
# channel platform's webhook id) are in journey_refs, naming the identifier they lead to.
for _table, _column in ((orders, "channel_order_ref"), (orders, "po_number"), (orders, "erp_order_number"),
                        (orders, "fulfilment_id"), (returns, "credit_memo_id"), (returns, "refund_id")):
    _col = _table.c[_column]
    Index(f"ix_{_table.name}_{_column}", _col, sqlite_where=_col.is_not(None), postgresql_where=_col.is_not(None))
Index("ix_shipments_shipment_id", shipments.c.shipment_id)
Index("ix_shipments_tracking_number", shipments.c.tracking_number)
Index("ix_outbox_key", outbox.c.key)
Index("ix_dead_letters_key", dead_letters.c.key)

journey_refs = Table(
    "journey_refs",
    metadata,
    Column("ref", String(255), primary_key=True),  # e.g. a channel platform's webhook id
    Column("subject", String(128), primary_key=True),  # the identifier it leads to (the platform's order id)
    Column("kind", String(32), nullable=False),  # shopify_webhook, ...
    Column("at", DateTime(timezone=True), nullable=False),
)

# What the workers did with each message of a journey (written with the message's outcome,
# in the same transaction): done, retried or dead-lettered, after how many attempts, how long.
journey_steps = Table(
    "journey_steps",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("subject", String(128), nullable=False),  # the message key: an order id, an RMA id, a channel ref
    Column("at", DateTime(timezone=True), nullable=False),
    Column("layer", String(16), nullable=False),
    Column("step", String(64), nullable=False),  # the topic
    Column("outcome", String(16), nullable=False),  # done | retried | dead_lettered
    Column("attempts", Integer, nullable=False),
    Column("backend", String(32), nullable=True),
    Column("latency_ms", Float, nullable=True),
    Column("schema_version", Integer, nullable=False),
    Column("trace_id", String(32), nullable=True),
    Column("message_id", String(40), nullable=False),
    Column("detail", String(500), nullable=True),
)
Index("ix_journey_steps_subject", journey_steps.c.subject, journey_steps.c.id)
# --- ops (issue 12) ---------------------------------------------------------------
Index("ix_order_history_at", order_history.c.at)  # the flows' time-bounded counts
Index("ix_return_history_at", return_history.c.at)
Index("ix_orders_status_updated", orders.c.status, orders.c.updated_at)  # order aging by status
Index("ix_returns_refund_status_updated", returns.c.refund_status, returns.c.updated_at)  # refund exceptions

# Each process holding backend guards reports them here every few seconds (the admin API of
# any instance merges the fresh reports); a report is the JSON of ``shared.ops.backends.Report``.
backend_reports = Table(
    "backend_reports",
    metadata,
    Column("backend", String(32), primary_key=True),
    Column("instance", String(64), primary_key=True),
    Column("report", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# A backend whose asynchronous work is paused (maintenance): workers defer its messages.
backend_pauses = Table(
    "backend_pauses",
    metadata,
    Column("backend", String(32), primary_key=True),
    Column("paused_at", DateTime(timezone=True), nullable=False),
    Column("paused_by", String(200), nullable=False),
)

# One row per alert rule: its current state. A transition is a conditional UPDATE, so with
# several instances evaluating, exactly one records (and notifies) each firing and resolving.
alert_states = Table(
    "alert_states",
    metadata,
    Column("rule", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # firing | resolved
    Column("since", DateTime(timezone=True), nullable=False),
    Column("detail", String(500), nullable=False),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("rule", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("detail", String(500), nullable=False),
)
Index("ix_alert_events_at", alert_events.c.at)
# --- partner webhooks (issue 11) ---------------------------------------------------

# A partner's subscription: where to send which events, for its customer. The secret signs
# deliveries (Standard Webhooks); during a rotation the previous one signs too until
# ``previous_secret_until``. ``failing_since``: the first failed attempt since the last success.
webhook_subscriptions = Table(
    "webhook_subscriptions",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", String(64), nullable=True),
    Column("consumer", String(200), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("events", JSON, nullable=False),
    Column("secret", String(100), nullable=False),
    Column("previous_secret", String(100), nullable=True),
    Column("previous_secret_until", DateTime(timezone=True), nullable=True),
    Column("status", String(16), nullable=False),  # active | disabled
    Column("failing_since", DateTime(timezone=True), nullable=True),
    Column("disabled_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_webhook_subscriptions_customer_id", webhook_subscriptions.c.customer_id)

# One event for one subscription: its body is fixed when the event happens, its ``webhook_id``
# never changes (retries and replays keep it). Deliveries of one lane (subscription + order id,
# or + sku@location) go out in ``id`` order, each only after the one before is settled.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("webhook_id", String(40), nullable=False, unique=True),
    Column("subscription_id", String(40), nullable=False),
    Column("event_key", String(200), nullable=False),
    Column("type", String(40), nullable=False),
    Column("lane", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),  # pending | delivered | failed
    Column("attempts", Integer, nullable=False),
    Column("last_response_status", Integer, nullable=True),
    Column("last_error", String(200), nullable=True),
    Column("next_attempt_at", DateTime(timezone=True), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True), nullable=True),
    sqlite_autoincrement=True,
)
Index("ux_webhook_deliveries_event", webhook_deliveries.c.subscription_id, webhook_deliveries.c.event_key, unique=True)
Index("ix_webhook_deliveries_lane", webhook_deliveries.c.subscription_id, webhook_deliveries.c.lane,
      webhook_deliveries.c.status, webhook_deliveries.c.id)
Index("ix_webhook_deliveries_created", webhook_deliveries.c.subscription_id, webhook_deliveries.c.created_at)
