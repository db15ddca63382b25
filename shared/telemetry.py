"""Tracing: one OpenTelemetry tracer provider per process, W3C trace context in and out.

``setup_tracing()`` is called by the composition root. The exporter and the
sampler follow the standard ``OTEL_*`` variables, read by the SDK itself (they
are the OpenTelemetry contract, not hub settings; docs/telemetry.md):

- spans are exported (OTLP over HTTP, batched) when ``OTEL_TRACES_EXPORTER=otlp``
  or an ``OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT`` is set; ``OTEL_TRACES_EXPORTER=none``
  turns export off;
- exporting, the sampler is ``OTEL_TRACES_SAMPLER`` (+ ``_ARG``), by default
  ``parentbased_traceidratio`` at 0.01; not exporting, nothing is recorded (ids
  still flow: every answer and log line names its trace);
- exporting, SQLAlchemy, Redis and httpx calls get client spans from the
  opentelemetry-instrumentation packages.

Span attributes pass ``shared.logs.redact`` on their way out, like log lines.
"""

from __future__ import annotations

import os
import random
import secrets
from contextlib import contextmanager
from typing import Iterator

from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF, ALWAYS_ON, ParentBased, ParentBasedTraceIdRatio, Sampler, SamplingResult, TraceIdRatioBased,
)

from shared.logs import order_context, redact
from shared.trace_ids import (  # noqa: F401 - the W3C helpers are imported from here too
    current, new_span_id, new_trace_id, parse_traceparent, remote_parent, span_traceparent, traceparent, unrecorded,
)

_tracer = trace.get_tracer("commerce_hub")
_provider: TracerProvider | None = None
DEFAULT_RATIO = 0.01


class _HubSampler(Sampler):
    """Delegates to the configured sampler; replaced (not the provider) when reconfigured."""

    def __init__(self) -> None:
        self._delegate: Sampler = ALWAYS_OFF
        self.root_bound: int | None = 0
        """A root span is sampled when 64 random bits are below it (None: ask the delegate)."""
        self.exporting = False
        self.instrumented = False
        self.forced = False
        """Set only around a synchronous span start whose sampling was already decided."""

    def should_sample(self, *args, **kwargs) -> SamplingResult:  # noqa: ANN002, ANN003
        return (ALWAYS_ON if self.forced else self.delegate).should_sample(*args, **kwargs)

    def get_description(self) -> str:
        return f"Hub({self.delegate.get_description()})"

    @property
    def delegate(self) -> Sampler:
        return self._delegate

    @delegate.setter
    def delegate(self, sampler: Sampler) -> None:
        self._delegate, self.root_bound = sampler, _root_bound(sampler)

    def root_sampled(self, name: str) -> bool:
        """The sampler's decision for a root span, cheaply for the usual samplers (the SDK's
        own call costs ~5 µs, half a cache hit)."""
        if self.root_bound is None:
            return self.delegate.should_sample(None, new_trace_id(), name).decision.is_sampled()
        return random.getrandbits(64) < self.root_bound


def _root_bound(sampler: Sampler) -> int | None:
    root = getattr(sampler, "_root", sampler) if isinstance(sampler, ParentBased) else sampler
    if isinstance(root, TraceIdRatioBased):
        return root.bound
    if root is ALWAYS_ON:
        return 1 << 64
    if root is ALWAYS_OFF:
        return 0
    return None


_sampler = _HubSampler()


class _Fanout(SpanProcessor):
    """The provider's one processor; exporters are added (and, in tests, removed) here."""

    def __init__(self) -> None:
        self.processors: tuple[SpanProcessor, ...] = ()

    def on_start(self, span, parent_context=None) -> None:  # noqa: ANN001
        for processor in self.processors:
            processor.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self.processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        for processor in self.processors:
            processor.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self.processors)


_fanout = _Fanout()


class _Redacting(SpanExporter):
    """Masks secrets in string attributes before the spans leave the process."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner

    def export(self, spans) -> SpanExportResult:  # noqa: ANN001
        return self.inner.export([_redacted(span) for span in spans])

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


def _redacted(span: ReadableSpan) -> ReadableSpan:
    attributes = dict(span.attributes or {})
    changed = {k: redact(v) for k, v in attributes.items() if isinstance(v, str) and redact(v) != v}
    if not changed:
        return span
    return ReadableSpan(name=span.name, context=span.context, parent=span.parent, resource=span.resource,
                        attributes={**attributes, **changed}, events=span.events, links=span.links,
                        kind=span.kind, status=span.status, start_time=span.start_time, end_time=span.end_time,
                        instrumentation_scope=span.instrumentation_scope)


def exporter_from_env() -> SpanExporter | None:
    """The exporter the standard variables ask for (None: spans are not exported)."""
    kind = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
    if kind == "none" or (not kind and not endpoint):
        return None
    if kind == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()  # endpoint, headers, timeout, compression: OTEL_EXPORTER_OTLP_*


def sampler_from_env() -> Sampler:
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        from opentelemetry.sdk.trace.sampling import _get_from_env_or_default

        return _get_from_env_or_default()
    arg = os.environ.get("OTEL_TRACES_SAMPLER_ARG")
    return ParentBasedTraceIdRatio(float(arg) if arg else DEFAULT_RATIO)


def setup_tracing(service_name: str, *, exporter: SpanExporter | None = None, sampler: Sampler | None = None,
                  batch: bool = True) -> TracerProvider:
    """Install the process's provider (once); add ``exporter`` (default: from the environment)
    and set the sampler. Called again (tests), it adds the exporter and switches the sampler."""
    global _provider
    first = _provider is None
    if first:
        from opentelemetry.sdk.resources import Resource

        _provider = TracerProvider(resource=Resource.create({"service.name": service_name}), sampler=_sampler)
        _provider.add_span_processor(_fanout)
        trace.set_tracer_provider(_provider)
        exporter = exporter if exporter is not None else exporter_from_env()
    if exporter is not None:
        processor: SpanProcessor = (BatchSpanProcessor if batch else SimpleSpanProcessor)(_Redacting(exporter))
        _fanout.processors += (processor,)
        _sampler.exporting = True
        if not _sampler.instrumented:
            _sampler.instrumented = True
            _instrument_libraries()
    if sampler is not None:
        _sampler.delegate = sampler
    elif exporter is not None and first:
        _sampler.delegate = sampler_from_env()
    return _provider  # type: ignore[return-value]


def exporting() -> bool:
    return _sampler.exporting


def stop_exporting() -> None:
    """Flush and drop every exporter; nothing recorded from now on (tests). The library
    instrumentation stays in place, making non-recording spans."""
    processors, _fanout.processors = _fanout.processors, ()
    for processor in processors:
        processor.shutdown()
    _sampler.delegate, _sampler.exporting = ALWAYS_OFF, False


def flush() -> bool:
    return _fanout.force_flush()


def _instrument_libraries() -> None:
    """Client spans for Redis and httpx (class-level patches); engines: ``instrument_engine``."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()


def instrument_engine(engine) -> None:  # noqa: ANN001
    """SQL client spans on one engine (when spans are exported)."""
    if not _sampler.exporting:
        return
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    usage = get_meter("commerce_hub.db").create_up_down_counter("db.client.connections.usage")
    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine.sync_engine, usage)


@contextmanager
def business_span(name: str, *, order_id: str | None = None, channel: str | None = None,
                  customer_id: str | None = None, sku_count: int | None = None, backend: str | None = None,
                  kind: trace.SpanKind = trace.SpanKind.INTERNAL) -> Iterator[trace.Span]:
    """A span of the process layer with the business attributes (``hub.*``; ``peer.service``
    for a backend), current for its body; the order id also names every log line inside."""
    if not _sampler.exporting:  # nothing is recorded: the same ids, without the SDK's work
        with current(unrecorded(trace.get_current_span().get_span_context())) as span, \
                order_context(order_id) if order_id is not None else _nothing():
            yield span
        return
    with _tracer.start_as_current_span(name, kind=kind) as span:
        if span.is_recording():
            for key, value in (("hub.order.id", order_id), ("hub.channel", channel),
                               ("hub.customer.id", customer_id), ("hub.sku_count", sku_count),
                               ("hub.backend", backend), ("peer.service", backend)):
                if value is not None:
                    span.set_attribute(key, value)
        with order_context(order_id) if order_id is not None else _nothing():
            yield span


@contextmanager
def _nothing() -> Iterator[None]:
    yield


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
def server_span(scope: dict, name: str, *, sampled: bool = False) -> Iterator[trace.Span]:
    """A SERVER span that continues the request's `traceparent`, current for its body
    (``sampled``: recorded whatever the sampler says, the decision being made already)."""
    headers = scope.get("headers", [])
    if not _sampler.exporting and not sampled:  # nothing is recorded: the same ids, without the SDK's work
        traced = any(name == b"traceparent" for name, _ in headers)
        parent = propagate.extract(headers, getter=_AsgiHeaders) if traced else None
        with current(unrecorded(trace.get_current_span(parent).get_span_context() if traced else None)) as span:
            yield span
        return
    parent = propagate.extract(headers, getter=_AsgiHeaders)
    _sampler.forced = sampled
    try:
        span = _tracer.start_span(name, context=parent, kind=trace.SpanKind.SERVER)
    finally:
        _sampler.forced = False
    with trace.use_span(span, end_on_exit=True):
        yield span


def hit_span(scope: dict, name: str):  # noqa: ANN201
    """The span of a request answered from the local cache, or None (the usual case): only
    while exporting, and then for a request with a ``traceparent`` (the sampler follows
    it) or one the sampler picks as a root. The decision costs one sampler call."""
    if not _sampler.exporting:
        return None
    if b"traceparent" in scope["hub.headers"]:
        return server_span(scope, name)
    if not _sampler.root_sampled(name):
        return None
    return server_span(scope, name, sampled=True)


def incoming_trace_id(scope: dict) -> str | None:
    """The trace id of a valid incoming ``traceparent`` when no span is open (edge answers
    given before any span, such as 401 or 429), else the current span's."""
    ctx = trace.get_current_span().get_span_context()
    if ctx.trace_id:
        return format(ctx.trace_id, "032x")
    for name, value in scope.get("headers", ()):
        if name == b"traceparent":
            parsed = parse_traceparent(value)
            return format(parsed[0], "032x") if parsed else None
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
    if not _sampler.exporting:  # nothing is recorded: the same ids, without the SDK's work
        parent_ctx = remote_parent(traceparent) if traceparent else trace.get_current_span().get_span_context()
        with current(unrecorded(parent_ctx)) as span:
            yield span
        return
    parent = propagate.extract({"traceparent": traceparent}) if traceparent else None
    with _tracer.start_as_current_span(name, context=parent, kind=trace.SpanKind.CONSUMER,
                                       attributes=attributes) as span:
        yield span
