"""Tracing: one OpenTelemetry tracer provider per process, W3C trace context in and out.

`setup_tracing()` is called by a composition root; without it spans are
no-ops and trace ids come from the request's own ``traceparent`` or are made
up, so every problem answer still names a trace. With
``OTEL_EXPORTER_OTLP_ENDPOINT`` set and the OTLP exporter installed, spans
are exported in batches.
"""

from __future__ import annotations

import os
import secrets
from contextlib import contextmanager
from typing import Iterator

from opentelemetry import propagate, trace

_tracer = trace.get_tracer("commerce_hub")
_configured = False


def setup_tracing(service_name: str) -> None:
    global _configured
    if _configured:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.trace.export import BatchSpanProcessor

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        except ImportError:  # exporter not installed: spans stay local
            pass
    trace.set_tracer_provider(provider)
    _configured = True


class _AsgiHeaders:
    """Lets the W3C propagator read ASGI headers without copying them into a dict."""

    @staticmethod
    def get(carrier: list[tuple[bytes, bytes]], key: str) -> list[str] | None:
        wanted = key.encode()
        for name, value in carrier:
            if name == wanted:
                return [value.decode("latin-1")]
        return None

    @staticmethod
    def keys(carrier: list[tuple[bytes, bytes]]) -> list[str]:
        return [name.decode("latin-1") for name, _ in carrier]


@contextmanager
def server_span(scope: dict, name: str) -> Iterator[trace.Span]:
    """A SERVER span that continues the request's `traceparent`, current for its body."""
    parent = propagate.extract(scope.get("headers", []), getter=_AsgiHeaders)
    with _tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.SERVER) as span:
        yield span


def incoming_trace_id(scope: dict) -> str | None:
    """The trace id of a valid incoming ``traceparent`` when no span is open (edge answers
    given before any span, such as 401 or 429), else the current span's."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.trace_id:
        return format(ctx.trace_id, "032x")
    for name, value in scope.get("headers", ()):
        if name == b"traceparent":
            parts = value.split(b"-")
            if len(parts) == 4 and len(parts[1]) == 32 and parts[1] != b"0" * 32:
                try:
                    int(parts[1], 16)
                except ValueError:
                    return None
                return parts[1].decode()
            return None
    return None


def trace_id_hex() -> str:
    """The current trace id, or a fresh random one when no span records."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.trace_id:
        return format(ctx.trace_id, "032x")
    return secrets.token_hex(16)


def inject_trace_headers(headers: dict[str, str]) -> dict[str, str]:
    propagate.inject(headers)
    return headers



def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span (None when there is none): stored with
    asynchronous work so the work's spans continue this trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def current_trace_id() -> str | None:
    """The current span's trace id, None when no span is open (unlike ``trace_id_hex``)."""
    ctx = trace.get_current_span().get_span_context()
    return format(ctx.trace_id, "032x") if ctx.trace_id else None


@contextmanager
def consumer_span(name: str, traceparent: str | None, **attributes: str) -> Iterator[trace.Span]:
    """A CONSUMER span for asynchronous work, a child of the trace that queued it
    (``traceparent``; a new trace when None), current for its body."""
    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    with _tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER,
                                       attributes=attributes) as span:
        yield span
