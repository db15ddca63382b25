"""Spans and business metrics around the process layer's services and flow handlers.

Applied by the composition root (``commerce_hub.process_role``), so the services stay
free of telemetry: each wrapper opens a span with the business attributes
(``hub.order.id``, ``hub.channel``, ``hub.customer.id``, ``hub.sku_count``; see
docs/telemetry.md), names the order on every log line inside, and counts what the
business watches (orders accepted by channel, refund saga steps). Other methods
pass straight through.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import msgspec
from shared.metrics import Registry
from shared.telemetry import business_span

Handler = Callable[[Any], Awaitable[None]]


class _Step(msgspec.Struct):
    step: str = "unknown"


class _Passthrough:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class ObservedOrders(_Passthrough):
    def __init__(self, inner: object, metrics: Registry) -> None:
        super().__init__(inner)
        self._accepted = metrics.counter("hub_orders_accepted_total", "Orders accepted, by channel", ["channel"])

    async def place_order(self, command: Any, idempotency_key: str) -> Any:
        with business_span("orders.capture", channel=command.channel, customer_id=command.customer_id,
                           sku_count=len(command.lines)) as span:
            placed = await self._inner.place_order(command, idempotency_key)  # type: ignore[attr-defined]
            span.set_attribute("hub.order.id", placed.order.order_id)
            if not placed.replayed:
                self._accepted.inc(str(command.channel))
            return placed


class ObservedReturns(_Passthrough):
    def __init__(self, inner: object, metrics: Registry) -> None:
        super().__init__(inner)
        self._requested = metrics.counter("hub_returns_requested_total", "Returns authorised (RMAs made)")

    async def request_return(self, command: Any, idempotency_key: str) -> Any:
        with business_span("returns.request", order_id=command.order_id, customer_id=command.viewer.customer_id,
                           sku_count=len(command.lines)) as span:
            requested = await self._inner.request_return(command, idempotency_key)  # type: ignore[attr-defined]
            span.set_attribute("hub.rma.id", requested.rma.rma_id)
            if not requested.replayed:
                self._requested.inc()
            return requested


class ObservedPricing(_Passthrough):
    async def get_product(self, sku: str, quantity: int = 1, customer_id: str | None = None,
                          currency: str = "USD", channel: str | None = None) -> Any:
        with business_span("pricing.product", customer_id=customer_id, sku_count=1, channel=channel):
            return await self._inner.get_product(sku, quantity, customer_id, currency, channel)  # type: ignore[attr-defined]

    async def price_basket(self, lines: list, customer_id: str | None = None, currency: str = "USD",
                           channel: str | None = None) -> Any:
        with business_span("pricing.basket", customer_id=customer_id, sku_count=len(lines), channel=channel):
            return await self._inner.price_basket(lines, customer_id, currency, channel)  # type: ignore[attr-defined]


def observed_handlers(handlers: dict[str, Handler], metrics: Registry, refund_topic: str) -> dict[str, Handler]:
    """Each outbox consumer in a CONSUMER-side span ``process <topic>`` (semantic conventions:
    ``messaging.operation.type=process``, ``messaging.destination.name``), the message key as
    the order id where the key is one; refund saga steps counted by step and outcome."""
    steps = metrics.counter("hub_refund_steps_total", "Refund saga steps run, by step and outcome", ["step", "outcome"])
    return {topic: _observed(topic, handler, steps if topic == refund_topic else None)
            for topic, handler in handlers.items()}


def _observed(topic: str, handler: Handler, steps: Any) -> Handler:
    async def run(message: Any) -> None:
        step = msgspec.json.decode(message.payload, type=_Step) if steps is not None else None
        with business_span(f"process {topic}", order_id=_order_key(message.key)) as span:
            if span.is_recording():
                span.set_attribute("messaging.operation.type", "process")
                span.set_attribute("messaging.destination.name", topic)
                span.set_attribute("messaging.message.id", message.id)
                span.set_attribute("hub.attempts", message.attempts)
            try:
                await handler(message)
            except Exception:
                if steps is not None:
                    steps.inc(step.step, "error")  # type: ignore[union-attr]
                raise
            if steps is not None:
                steps.inc(step.step, "ok")  # type: ignore[union-attr]

    return run


def _order_key(key: str) -> str | None:
    """Order ids are ``ord_...``; other keys (SKUs, RMAs) name no order."""
    return key if key.startswith("ord_") else None
