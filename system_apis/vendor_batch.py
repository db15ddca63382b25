"""Writes made at the same moment sent to a vendor as one bulk request, each with its own answer.

A worker releases dozens of orders at once, and each was one POST to the vendor:
per order the system role's request building, pool and span, and the vendor's
own request handling. Where the vendor takes many writes in one request
(``sandbox.bulk``'s shape: CloudERP's ``salesOrders/batch``, ShipWorks'
``fulfillment_requests/batch``), ``VendorBatch`` gathers the calls made while a
bulk request is out (``shared.batching.GroupCommit``: no timer, a lone call
leaves at once by the single write) and sends them together:

    {"requests": [{"idempotencyKey": "<the order id>", "body": <the single write's body>}, ...]}
    -> 200 {"responses": [{"status": 201, "body": ...}, {"status": 400, "body": <error>}, ...]}

What each call keeps: its own body and idempotency key (a retried call books
nothing new, in a batch or alone), and its own answer, judged by the backend's
classifier as the single write's would be (a refusal is that call's
``BackendError``, not the batch's). What the calls share: the bulk request,
guarded once (one breaker count, one bulkhead slot) and retried whole on
``BackendUnavailable`` (safe: every write in it is idempotent), within the
shortest of its callers' deadlines, in a span of its own (its writes'
idempotency keys under ``span_keys``, e.g. ``hub.order_ids``, and a link to
each caller's span, so each order's trace reaches it; a write sent alone keeps
its caller's span as before). A vendor without the bulk path
(404) gets the calls one by one from then on.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import httpx
import msgspec
from opentelemetry import trace
from opentelemetry.trace import Link

from shared.batching import GroupCommit
from shared.errors import BackendError, NotFound
from shared.resilience import remaining_deadline
from system_apis.vendor_http import VendorHttp

T = TypeVar("T")
R = TypeVar("R")


class _Request(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    body: msgspec.Raw
    idempotency_key: str | None = None


class _Bulk(msgspec.Struct, frozen=True):
    requests: list[_Request]


class _Response(msgspec.Struct, frozen=True):
    status: int
    body: msgspec.Raw


class _Answers(msgspec.Struct, frozen=True):
    responses: list[_Response]


class _Call(Generic[T]):
    __slots__ = ("item", "ends_at", "context", "span")

    def __init__(self, item: T, ends_at: float | None) -> None:
        self.item, self.ends_at = item, ends_at
        self.context = contextvars.copy_context()  # its trace, deadline and log fields, for a write sent alone
        self.span = trace.get_current_span().get_span_context()  # linked from a bulk request's span


class VendorBatch(Generic[T, R]):
    """``call(item)``: ``single(item)`` when alone, else one bulk POST to ``path`` with the others.

    ``body(item)`` and ``key(item)``: what the single write sends; ``answer(body)``: the result
    from a successful answer's body; ``span_keys``: the span attribute naming the bulk request's keys.
    ``limit``: the vendor's most writes per bulk request."""

    def __init__(self, http: VendorHttp, operation: str, path: str, *, single: Callable[[T], Awaitable[R]],
                 body: Callable[[T], Any], key: Callable[[T], str], answer: Callable[[bytes], R],
                 span_keys: str, limit: int = 100) -> None:
        self._http, self._operation, self._path = http, operation, path
        self._single, self._body, self._key, self._answer, self._span_keys = single, body, key, answer, span_keys
        self._request = httpx.Request("POST", path)  # what each write's answer is judged as the answer to
        self._group: GroupCommit[_Call[T], R | BaseException] = GroupCommit(self._flush, limit=limit, parallel=4,
                                                                        isolated=True)
        self._unbatched = False

    async def call(self, item: T) -> R:
        left = remaining_deadline()
        result = await self._group.submit(_Call(item, None if left is None else time.monotonic() + left))
        if isinstance(result, BaseException):
            raise result
        return result

    async def _flush(self, calls: list[_Call[T]]) -> Sequence[R | BaseException]:
        if len(calls) == 1 or self._unbatched:
            return await self._alone(calls)
        keys = [self._key(c.item) for c in calls]
        requests = [_Request(body=msgspec.Raw(msgspec.json.encode(self._body(c.item))), idempotency_key=key)
                    for c, key in zip(calls, keys, strict=True)]
        ends = [c.ends_at for c in calls if c.ends_at is not None]
        try:
            raw = await self._http.post_raw(
                self._operation, self._path, msgspec.json.encode(_Bulk(requests)),
                headers={"Content-Type": "application/json"}, retry=True,
                deadline=max(min(ends) - time.monotonic(), 0.0) if ends else None,
                span_attributes={"hub.batch_size": len(calls), self._span_keys: keys},
                span_links=[Link(c.span) for c in calls if c.span.is_valid])
        except NotFound:  # the vendor has no bulk path: one by one from now on
            self._unbatched = True
            return await self._alone(calls)
        answers = self._http.decode(raw, _Answers).responses
        if len(answers) != len(calls):
            raise BackendError(f"{self._http.name.upper()} answered a bulk request with {len(answers)} answers "
                               f"for {len(calls)} writes", backend=self._http.name)
        return [self._one(a) for a in answers]

    async def _alone(self, calls: list[_Call[T]]) -> Sequence[R | BaseException]:
        """Each call by the single write, in its caller's context (a span under the caller's, as before)."""
        return await asyncio.gather(*(asyncio.create_task(self._single(c.item), context=c.context) for c in calls),
                                    return_exceptions=True)

    def _one(self, answer: _Response) -> R | BaseException:
        """The classifier's judgement of one write's answer, as if it had come alone."""
        response = httpx.Response(answer.status, content=bytes(answer.body), request=self._request)
        try:
            self._http.classify(response)
            return self._answer(response.content)
        except Exception as exc:  # noqa: BLE001 - this call's own error, handed to its caller
            return exc
