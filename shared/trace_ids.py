"""W3C trace context ids, and the spans of a process that records nothing.

When no exporter is configured (``shared.telemetry``), the SDK's sampler is always off and
every span it starts is a ``NonRecordingSpan``: ids only, so answers and log lines still name
their trace. Starting one through the SDK still costs a sampler call, its span metrics and a
stack of context managers (about a fifth of the CPU of a stock report's trip through the hub,
measured: docs/performance.md). ``unrecorded`` makes the same span directly: the parent's trace
id (a new random one at a root), a new span id, the parent's trace state, flags as the SDK sets
them for an unsampled span (``random-trace-id`` kept, ``sampled`` clear). ``current`` makes a
span the current one for a block, as ``trace.use_span`` does without its exception recording
(a non-recording span records nothing).
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from typing import Iterator

from opentelemetry import context, trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_W3C = TraceContextTextMapPropagator._TRACEPARENT_HEADER_FORMAT_RE  # the propagator's own pattern
_ROOT_FLAGS = trace.TraceFlags(trace.TraceFlags.RANDOM_TRACE_ID)  # the SDK's ids are random
_CHILD_FLAGS = {True: _ROOT_FLAGS, False: trace.TraceFlags(trace.TraceFlags.DEFAULT)}


def parse_traceparent(value: bytes | None) -> tuple[int, bool] | None:
    """(trace id, sampled) of a valid W3C ``traceparent``, else None."""
    if value is None or len(value) < 55:
        return None
    parts = value.split(b"-")
    if len(parts) < 4 or len(parts[1]) != 32 or len(parts[2]) != 16 or len(parts[3]) != 2 or parts[0] == b"ff":
        return None
    try:
        trace_id, flags = int(parts[1], 16), int(parts[3], 16)
        int(parts[2], 16)
    except ValueError:
        return None
    return (trace_id, bool(flags & 1)) if trace_id else None


def traceparent(trace_id: int, span_id: int, sampled: bool) -> bytes:
    return b"00-%032x-%016x-%s" % (trace_id, span_id, b"01" if sampled else b"00")


def new_span_id() -> int:
    return random.getrandbits(64) or 1


def new_trace_id() -> int:
    return random.getrandbits(128) or 1


def span_traceparent(span: trace.Span) -> bytes | None:
    ctx = span.get_span_context()
    return traceparent(ctx.trace_id, ctx.span_id, ctx.trace_flags.sampled) if ctx.trace_id else None


def remote_parent(value: str | None) -> trace.SpanContext | None:
    """The span context a stored W3C ``traceparent`` names, by the rules of OpenTelemetry's
    propagator (its pattern; zero ids, version ``ff``, or a version 00 value with more fields:
    none), without building a ``Context`` around it."""
    if not value or len(value) > 512:
        return None
    match = _W3C.search(value)
    if not match:
        return None
    version, trace_id, span_id, flags = match.group(1, 2, 3, 4)
    if trace_id == "0" * 32 or span_id == "0" * 16 or version == "ff" or (version == "00" and match.group(5)):
        return None
    return trace.SpanContext(int(trace_id, 16), int(span_id, 16), is_remote=True,
                             trace_flags=trace.TraceFlags(int(flags, 16)))


def unrecorded(parent: trace.SpanContext | None) -> trace.NonRecordingSpan:
    """The span the SDK starts under an always-off sampler, a child of ``parent`` (a root when
    None or invalid)."""
    if parent is None or not parent.is_valid:
        return trace.NonRecordingSpan(trace.SpanContext(new_trace_id(), new_span_id(), False, _ROOT_FLAGS))
    return trace.NonRecordingSpan(trace.SpanContext(parent.trace_id, new_span_id(), False,
                                                    _CHILD_FLAGS[parent.trace_flags.random_trace_id],
                                                    parent.trace_state))


@contextmanager
def current(span: trace.Span) -> Iterator[trace.Span]:
    """``span`` is the current span inside the block."""
    token = context.attach(trace.set_span_in_context(span))
    try:
        yield span
    finally:
        context.detach(token)
