"""The spans of a process that exports nothing (shared/trace_ids.py): the ids the SDK would give."""

from __future__ import annotations

import pytest
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import TraceState

from shared.telemetry import business_span, consumer_span, current_traceparent, exporting, server_span
from shared.trace_ids import remote_parent, unrecorded

SDK = TracerProvider(sampler=ALWAYS_OFF).get_tracer("reference")
GOOD = "00-" + "4b" * 16 + "-" + "a1" * 8 + "-01"
HEADERS = [GOOD, GOOD[:-2] + "00", GOOD[:-2] + "03", "01-" + GOOD[3:] + "-later", GOOD + "-extra", "ff" + GOOD[2:],
           "00-" + "0" * 32 + GOOD[35:], GOOD[:36] + "0" * 16 + "-01", GOOD.upper(), "00-zz-1-01", "", "  " + GOOD]


@pytest.mark.parametrize("header", HEADERS)
def test_a_stored_traceparent_names_the_parent_the_propagator_reads(header: str) -> None:
    expected = trace.get_current_span(propagate.extract({"traceparent": header})).get_span_context()
    got = remote_parent(header)
    if not expected.is_valid:
        assert got is None
    else:
        assert got == expected and got.trace_flags == expected.trace_flags and got.is_remote


@pytest.mark.parametrize("parent", [
    None,
    trace.INVALID_SPAN_CONTEXT,
    trace.SpanContext(0x4B << 100, 0xA1, True, trace.TraceFlags(1)),
    trace.SpanContext(0x4B << 100, 0xA1, True, trace.TraceFlags(3), TraceState([("vendor", "x")])),
    trace.SpanContext(0x4B << 100, 0xA1, False, trace.TraceFlags(2)),
])
def test_an_unrecorded_span_has_the_ids_the_sdk_gives_with_the_sampler_off(parent: trace.SpanContext | None) -> None:
    context = trace.set_span_in_context(trace.NonRecordingSpan(parent)) if parent is not None else None
    sdk = SDK.start_span("x", context=context).get_span_context()
    ours = unrecorded(parent)
    got = ours.get_span_context()
    assert not ours.is_recording()
    assert (got.trace_flags, got.trace_state, got.is_remote) == (sdk.trace_flags, sdk.trace_state, sdk.is_remote)
    if parent is not None and parent.is_valid:
        assert got.trace_id == parent.trace_id and got.span_id != parent.span_id
    else:
        assert got.is_valid and got.trace_id != sdk.trace_id  # a new random trace, as the SDK starts


def test_without_an_exporter_the_ids_still_flow_through_request_queue_and_handler() -> None:
    assert not exporting()
    scope = {"headers": [(b"traceparent", GOOD.encode())]}
    with server_span(scope, "POST hooks") as server:
        queued = current_traceparent()
        with business_span("inner") as inner:
            assert inner.get_span_context().trace_id == server.get_span_context().trace_id == int("4b" * 16, 16)
            assert inner.get_span_context().span_id != server.get_span_context().span_id
    assert queued is not None and queued[3:35] == "4b" * 16
    assert not trace.get_current_span().get_span_context().is_valid  # nothing left current
    with consumer_span("stock.changed", queued) as consumer:
        ctx = trace.get_current_span().get_span_context()
        assert ctx == consumer.get_span_context() and ctx.trace_id == int("4b" * 16, 16)
        assert f"{ctx.span_id:016x}" != queued[36:52]
    with server_span({"headers": []}, "GET x") as root:
        assert root.get_span_context().is_valid and root.get_span_context().trace_id != int("4b" * 16, 16)
        with consumer_span("t", None) as child, consumer_span("t", "00-garbage") as fresh:
            assert child.get_span_context().trace_id == root.get_span_context().trace_id  # as the SDK: the current trace
            assert fresh.get_span_context().trace_id != root.get_span_context().trace_id  # a bad one: a new trace
