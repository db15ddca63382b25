"""The backbone's figures in the process's metrics registry (``/metrics``)."""

from __future__ import annotations

from shared.metrics import Registry


class MessagingMetrics:
    def __init__(self, registry: Registry | None = None) -> None:
        registry = registry or Registry()
        self.messages = registry.counter(
            "hub_messages_total", "Message deliveries by topic and outcome (done, retried, dead).", ("topic", "outcome"))
        self.handler_seconds = registry.histogram(
            "hub_message_handler_seconds", "Handler run time by topic.", ("topic",))
        self.oldest_pending = registry.gauge(
            "hub_outbox_oldest_pending_seconds", "Age of the oldest due outbox message (relay and worker lag).")
        self.relayed = registry.counter(
            "hub_outbox_relayed_total", "Outbox rows published to the Redis stream (re-publications included).")
        self.transport_errors = registry.counter(
            "hub_messaging_transport_errors_total", "Database or Redis failures met by the workers and the relay.",
            ("operation",))
