"""The backbone's figures in the process's metrics registry (``/metrics``)."""

from __future__ import annotations

from shared.metrics import Counter, Registry


class _Deliveries:
    """``hub_messages_total`` that also counts ``hub_dead_letters_total`` by topic."""

    def __init__(self, messages: Counter, dead: Counter) -> None:
        self.messages, self.dead = messages, dead

    def inc(self, topic: str, outcome: str, amount: float = 1.0) -> None:
        self.messages.inc(topic, outcome, amount=amount)
        if outcome == "dead":
            self.dead.inc(topic, amount=amount)

    @property
    def values(self) -> dict[tuple[str, ...], float]:
        return self.messages.values


class MessagingMetrics:
    def __init__(self, registry: Registry | None = None) -> None:
        registry = registry or Registry()
        self.messages = _Deliveries(registry.counter(
            "hub_messages_total", "Message deliveries by topic and outcome (done, retried, dead).", ("topic", "outcome")),
            registry.counter("hub_dead_letters_total", "Messages dead-lettered, by topic.", ("topic",)))
        self.handler_seconds = registry.histogram(
            "hub_message_handler_seconds", "Handler run time by topic.", ("topic",))
        self.oldest_pending = registry.gauge(
            "hub_outbox_oldest_pending_seconds", "Age of the oldest due outbox message (relay and worker lag).")
        self.relayed = registry.counter(
            "hub_outbox_relayed_total", "Outbox rows published to the Redis stream (re-publications included).")
        self.transport_errors = registry.counter(
            "hub_messaging_transport_errors_total", "Database or Redis failures met by the workers and the relay.",
            ("operation",))
