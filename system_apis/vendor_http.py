"""The one HTTP transport every vendor adapter uses.

``VendorHttp`` wraps each call in a span ``<system>.<operation>``, runs it
through the backend's ``Guard``, turns httpx failures into
``BackendUnavailable`` and lets the backend's classifier judge the answer.
``raise_for_vendor_status`` is the status mapping the classifiers share:

    2xx -> fine            429 -> BackendThrottled(retry_after)
    404 -> NotFound        5xx -> BackendUnavailable
    other -> BackendError (permanent)

Error details stay generic ("ERP answered 500"): vendor text never reaches
a client.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, NoReturn, TypeVar

import httpx
import msgspec
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind, Status, StatusCode

from shared.errors import BackendError, BackendThrottled, BackendUnavailable, NotFound
from shared.messaging.outbox import utcnow
from shared.ops.probes import DOWN, ProbeResult, status_detail
from shared.resilience import Guard

T = TypeVar("T")
SpanValue = str | int | float | bool | Sequence[str]


class VendorHttp:
    """A backend's HTTP client, guarded and traced; adapters speak only through it."""

    def __init__(
        self,
        name: str,
        client: httpx.AsyncClient,
        guard: Guard,
        classify: Callable[[httpx.Response], None],
        *,
        tracer: trace.Tracer | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._guard = guard
        self._classify = classify
        self._tracer = tracer or trace.get_tracer("commerce_hub.system_apis")
        self._auth: httpx.Auth | None = None

    def authenticate(self, auth: httpx.Auth) -> None:
        """Sign every call with ``auth`` (an ``httpx.Auth`` flow, e.g. one that refreshes an expiring
        access token and sends the call again once), instead of fixed credential headers."""
        self._auth = auth

    async def get(
        self,
        operation: str,
        path: str,
        *,
        params: Any = None,
        span_attributes: Mapping[str, SpanValue] | None = None,
        deadline: float | None = None,
        whole: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The body of a successful GET (with ``whole`` the whole ``httpx.Response``, its headers too,
        e.g. a page count); retried per the guard's policy. ``headers`` add to (or replace) the client's."""
        request = self._client.build_request("GET", path, params=params, headers=dict(headers) if headers else None)
        return await self._send(operation, request, span_attributes, retry=True, deadline=deadline, whole=whole)

    async def post(
        self,
        operation: str,
        path: str,
        body: Any,
        *,
        idempotency_key: str | None = None,
        span_attributes: Mapping[str, SpanValue] | None = None,
        deadline: float | None = None,
        whole: bool = False,
    ) -> Any:
        """POST ``body`` as JSON; retried only with an ``idempotency_key`` (sent as ``Idempotency-Key``).
        The body of the answer, or with ``whole`` the whole ``httpx.Response`` (its headers too)."""
        headers = {"Content-Type": "application/json"}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        request = self._client.build_request("POST", path, content=msgspec.json.encode(body), headers=headers)
        retry = idempotency_key is not None
        return await self._send(operation, request, span_attributes, retry=retry, deadline=deadline, whole=whole)

    async def put(
        self,
        operation: str,
        path: str,
        body: Any,
        *,
        method: str = "PUT",
        span_attributes: Mapping[str, SpanValue] | None = None,
        deadline: float | None = None,
    ) -> bytes:
        """PUT (or ``method``, e.g. PATCH) ``body`` as JSON, for writes the caller knows are safe to
        repeat (an upsert by external key): retried per the guard's policy. The body of the answer."""
        request = self._client.build_request(method, path, content=msgspec.json.encode(body),
                                             headers={"Content-Type": "application/json"})
        return await self._send(operation, request, span_attributes, retry=True, deadline=deadline)

    async def post_raw(
        self,
        operation: str,
        path: str,
        content: bytes,
        *,
        headers: Mapping[str, str],
        retry: bool = False,
        span_attributes: Mapping[str, SpanValue] | None = None,
        deadline: float | None = None,
        span_links: Sequence[Link] = (),
    ) -> bytes:
        """POST ``content`` as is, with ``headers`` (a SOAP envelope, a form); retried only with
        ``retry`` (the caller knows the call is safe to repeat). The body of the answer. ``span_links``:
        the spans this call serves besides its parent's (a bulk request's callers)."""
        request = self._client.build_request("POST", path, content=content, headers=dict(headers))
        return await self._send(operation, request, span_attributes, retry=retry, deadline=deadline, links=span_links)

    async def send(
        self,
        operation: str,
        request: httpx.Request,
        *,
        span_attributes: Mapping[str, SpanValue] | None = None,
        deadline: float | None = None,
    ) -> httpx.Response:
        """Send a request built on this client (any URL), once, guarded and traced; the whole
        response, whatever its status (the classifier decides what raises)."""
        return await self._send(operation, request, span_attributes, retry=False, deadline=deadline, whole=True)

    async def probe(self, method: str, path: str, *, params: Any = None, content: bytes | None = None,
                    headers: Mapping[str, str] | None = None) -> ProbeResult:
        """One health probe: sent once, outside the guard (it neither counts in the circuit nor takes
        a bulkhead slot, nor retries), through the pool and pacing every call takes. Judged by its
        status alone (``status_detail``: a 429 is up); its body is never read into the result."""
        request = self._client.build_request(method, path, params=params, content=content,
                                             headers=dict(headers) if headers else None)
        started = time.perf_counter()
        with self._tracer.start_as_current_span(f"{self.name}.probe", kind=SpanKind.CLIENT, attributes={
                "hub.backend": self.name, "http.request.method": method, "url.path": request.url.path}) as span:
            try:
                response = await self._client.send(request)
            except httpx.TimeoutException:
                state, detail = DOWN, "timed out"
            except httpx.HTTPError as exc:
                state, detail = DOWN, f"unreachable ({type(exc).__name__})"
            else:
                await response.aclose()
                span.set_attribute("http.response.status_code", response.status_code)
                state, detail = status_detail(response.status_code)
        return ProbeResult(state=state, checked_at=utcnow(), detail=detail,
                           latency_ms=round((time.perf_counter() - started) * 1000, 3))

    async def get_json(self, type: type[T], operation: str, path: str, **kwargs: Any) -> T:
        """``get`` and ``decode`` in one."""
        return self.decode(await self.get(operation, path, **kwargs), type)

    def classify(self, response: httpx.Response) -> None:
        """The backend's judgement of an answer (raises as ``_send`` would): for answers that came
        inside another, e.g. each write's answer in a bulk request (``vendor_batch``)."""
        self._classify(response)

    def decode(self, body: bytes, type: type[T]) -> T:
        """A vendor body as its Struct; one that does not fit is a permanent ``BackendError``."""
        try:
            return msgspec.json.decode(body, type=type)
        except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
            raise BackendError(f"unexpected {self.name.upper()} response", backend=self.name) from exc

    async def _send(
        self,
        operation: str,
        request: httpx.Request,
        span_attributes: Mapping[str, SpanValue] | None,
        *,
        retry: bool,
        deadline: float | None,
        whole: bool = False,
        links: Sequence[Link] = (),
    ) -> Any:
        attributes = {"hub.backend": self.name, "http.request.method": request.method, "url.path": request.url.path}
        attributes.update(span_attributes or {})
        with self._tracer.start_as_current_span(
            f"{self.name}.{operation}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            links=links,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            attempts = 0

            async def attempt() -> Any:
                nonlocal attempts
                attempts += 1
                span.set_attribute("hub.attempts", attempts)
                response = await self._exchange(request)
                span.set_attribute("http.response.status_code", response.status_code)
                self._classify(response)
                return response if whole else response.content

            try:
                return await self._guard.call(operation, attempt, retry=retry, deadline=deadline)
            except NotFound:
                raise  # an answer, not a failure
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, getattr(exc, "code", type(exc).__name__)))
                raise

    async def _exchange(self, request: httpx.Request) -> httpx.Response:
        try:
            if self._auth is not None:
                return await self._client.send(request, auth=self._auth)
            return await self._client.send(request)
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(f"{self.name.upper()} timed out", backend=self.name) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(f"{self.name.upper()} unreachable", backend=self.name) from exc


def raise_for_vendor_status(backend: str, response: httpx.Response) -> None:
    """The status mapping every classifier starts from (see the module docstring)."""
    status = response.status_code
    label = backend.upper()
    if status < 300:
        return
    if status == 429:
        raise BackendThrottled(
            f"{label} is throttling the hub", backend=backend, retry_after=parse_retry_after(response)
        )
    if status >= 500:
        raise BackendUnavailable(f"{label} answered {status}", backend=backend)
    if status == 404:
        raise NotFound(f"{label} has no such record")
    raise BackendError(f"{label} answered {status}", backend=backend)


def raise_vendor_error(backend: str, response: httpx.Response, code: str | None, *, throttled: bool,
                       not_found: bool, default_wait: float | None = None) -> NoReturn:
    """Where a classifier ends once it has read the vendor's error code (``vendor_code``; the
    vendor's text never travels): throttled -> ``BackendThrottled`` (``Retry-After`` or
    ``default_wait``), 5xx -> ``BackendUnavailable``, not found -> ``NotFound``, else ``BackendError``."""
    label, status = backend.upper(), response.status_code
    if throttled:
        raise BackendThrottled(f"{label} is throttling the hub", backend=backend,
                               retry_after=parse_retry_after(response) or default_wait)
    if status >= 500:
        raise BackendUnavailable(f"{label} answered {status}", backend=backend, vendor_code=code)
    if not_found:
        raise NotFound(f"{label} has no such record")
    raise BackendError(f"{label} answered {status}", backend=backend, vendor_code=code)


def parse_retry_after(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """``Retry-After`` in seconds from delta-seconds or an HTTP-date; ``None`` if absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    if value.strip().replace(".", "", 1).isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)
