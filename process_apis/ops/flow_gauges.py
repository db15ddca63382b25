"""The flows view's figures as Prometheus gauges (issue 12: "Prometheus metrics ... including the
business metrics"), read at scrape time from the same cached ``FlowsService`` view that
``GET /admin/v1/flows`` answers, by the roles that serve the admin API (``all``, ``gateway``).

    hub_flow_backlog{flow}                   pending + scheduled + in flight
    hub_flow_oldest_pending_seconds{flow}    age of the flow's oldest unfinished message
    hub_flow_dead_letters_open{flow}         dead letters neither replayed nor resolved
    hub_flow_done_last_hour{flow}            steps done in the last hour
    hub_flow_error_rate{flow}                last hour: (dead + failing) / (done + dead + failing)
    hub_flow_step_p95_seconds{flow}          step latency p95 (a flow with no samples: left out)
    hub_orders_open{status, age}             open orders by status and time in that status
    hub_refund_exceptions_open               refunds failed and not settled
    hub_dead_letters_open_by{dimension, value}  open dead letters by channel and by backend

Rendered by the scraped process only (``shared.metrics`` live families): workers never add
them up. A view that could not be read leaves them all out of that scrape.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from process_apis.ops.flows import FlowsService, FlowsView

_PER_FLOW = (
    ("hub_flow_backlog", "Unfinished steps of the flow (pending, scheduled, in flight)", lambda f: f.backlog),
    ("hub_flow_oldest_pending_seconds", "Age of the flow's oldest unfinished message",
     lambda f: f.oldest_pending_seconds),
    ("hub_flow_dead_letters_open", "Dead letters of the flow neither replayed nor resolved",
     lambda f: f.dead_letters_open),
    ("hub_flow_done_last_hour", "Steps of the flow done in the last hour", lambda f: f.throughput["1h"]),
    ("hub_flow_error_rate", "Last hour: (dead + failing) / (done + dead + failing)", lambda f: f.error_rate),
    ("hub_flow_step_p95_seconds", "Step latency p95 over the hour's newest steps",
     lambda f: None if f.p95_ms is None else f.p95_ms / 1000),
)


class FlowGauges:
    def __init__(self, flows: FlowsService) -> None:
        self._flows = flows
        self._view: FlowsView | None = None

    async def refresh(self) -> None:
        self._view = None
        self._view = await self._flows.view()  # cached for a couple of seconds, shared with the admin API

    def collect(self) -> Iterator[GaugeMetricFamily]:
        view = self._view
        if view is None:
            return
        for name, help_, figure in _PER_FLOW:
            family = GaugeMetricFamily(name, help_, labels=("flow",))
            for flow in view.items:
                if (value := figure(flow)) is not None:
                    family.add_metric((flow.flow,), value)
            yield family
        business = view.business
        aging = GaugeMetricFamily("hub_orders_open", "Open orders by status and time in that status",
                                  labels=("status", "age"))
        for status, buckets in business["order_aging"].items():
            for age, count in buckets.items():
                aging.add_metric((status, age), count)
        yield aging
        yield GaugeMetricFamily("hub_refund_exceptions_open", "Refunds failed and not settled",
                                value=business["refund_exceptions"]["open"])
        failures = GaugeMetricFamily("hub_dead_letters_open_by", "Open dead letters by channel and by backend",
                                     labels=("dimension", "value"))
        for dimension in ("channel", "backend"):
            for value, count in business[f"failures_by_{dimension}"].items():
                failures.add_metric((dimension, value), count)
        yield failures
