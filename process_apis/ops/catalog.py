"""The hub's flows: which outbox topics carry each, what marks a step done, which backend it calls."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FlowSpec:
    name: str
    topics: tuple[str, ...] = ()
    done_status: str | None = None
    """The ``order_history`` status a finished step writes (its count is the throughput)."""
    from_status: str | None = None
    """The status the step starts from: step latency is the time between the two history rows."""
    returns: bool = False
    """Throughput from ``return_history`` (every return or refund step)."""
    backend: str | None = None
    configured: bool = True


FLOWS: tuple[FlowSpec, ...] = (
    FlowSpec("order_capture", ("channel_order.received",), done_status="accepted"),
    FlowSpec("erp_posting", ("order.accepted",), done_status="posted", from_status="accepted", backend="erp"),
    FlowSpec("wms_release", ("order.posted",), done_status="released", from_status="posted", backend="wms"),
    FlowSpec("shipment", ("shipment.confirmed",), done_status="shipped", from_status="released"),
    FlowSpec("channel_fulfilment", ("channel.fulfil",), backend="shopify"),
    FlowSpec("returns", ("return.received", "return.inspection", "return.updated"), returns=True, backend="wms"),
    FlowSpec("refund_saga", ("return.saga",), backend="payments"),
    FlowSpec("inventory_sync", ("stock.changed", "stock.changed.batch")),
    FlowSpec("storefront_push", backend="shopify"),  # no topic: its own table (process_apis/storefront)
    FlowSpec("partner_webhooks", ("webhook.deliver",)),
    FlowSpec("edi", ("edi.capture", "edi.shipped")),  # 850 capture retries, 856/810 per shipment (docs/edi.md)
)
BY_TOPIC = {topic: flow for flow in FLOWS for topic in flow.topics}
FLOW_TOPICS = {flow.name: flow.topics for flow in FLOWS}
"""Each flow's topics: the dead-letter ``flow`` filter (a flow with none matches nothing)."""
OPEN_ORDER_STATUSES = ("accepted", "posted", "released", "on_hold")
AGE_BUCKETS = ((300, "lt_5m"), (900, "5m_15m"), (3600, "15m_1h"), (86400, "1h_24h"))
"""Upper bounds in seconds; older than the last is ``gt_24h``."""
