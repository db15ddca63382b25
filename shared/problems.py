"""RFC 9457 problem details: the one shape every error takes on the wire.

`problem_body()` renders a `HubError`; `litestar_exception_handlers` is the
translator every Litestar app registers once: HubError as itself, Litestar's
own validation errors as 400 (malformed JSON) or 422 (with ``errors``), and
anything unexpected as a bare 500 with a trace id and nothing else (the
exception is logged, never shown).
"""

from __future__ import annotations

import logging
import math
import re
from typing import Any

import msgspec

from shared.errors import HubError, ValidationFailed
from shared.jsonbody import MalformedJson, decode_json
from shared.telemetry import trace_id_hex

log = logging.getLogger("commerce_hub.errors")
PROBLEM_TYPE_BASE = "/docs/problems/"
"""Each problem's `type` is this plus its `code`: the portal page explaining it (CONTRACT section 8)."""
DEFAULT_RETRY_AFTER_SECONDS = 5
"""``Retry-After`` of a 503 whose error does not say how long (a backend down, timing out,
the hub starting): a short pause, not a promise. An open circuit says its remaining open time."""
_encoder = msgspec.json.Encoder()


EXTENSION_MEMBERS = frozenset({"retry_after", "segment", "interchange_control_number", "acknowledgement", "replayed",
                               "index", "limit"})
"""The extra members a problem may carry (RFC 9457 extensions); any other ``extra`` stays inside."""


def problem_document(error: HubError, instance: str | None = None, trace_id: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + error.code,
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "code": error.code,
        "trace_id": trace_id or trace_id_hex(),
    }
    if instance:
        doc["instance"] = instance
    if error.errors:
        doc["errors"] = error.errors
    for key, value in error.extra.items():
        if key in EXTENSION_MEMBERS and value is not None:
            doc[key] = value
    return doc


def problem_body(error: HubError, instance: str | None = None, trace_id: str | None = None) -> bytes:
    return _encoder.encode(problem_document(error, instance, trace_id))


def problem_headers(error: HubError) -> dict[str, str]:
    headers = dict(error.headers)
    if error.status in (429, 503):
        retry_after = getattr(error, "retry_after", None)
        if retry_after is None:
            retry_after = error.extra.get("retry_after")
        if not isinstance(retry_after, (int, float)) and error.status == 503:
            retry_after = DEFAULT_RETRY_AFTER_SECONDS
        if isinstance(retry_after, (int, float)):  # whole seconds, rounded up: never sooner than asked
            headers.setdefault("Retry-After", str(max(1, math.ceil(retry_after))))
    if error.status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="commerce-hub", ApiKey header="X-API-Key"')
    return headers


async def send_problem(send, error: HubError, scope: dict, trace_id: str | None = None) -> None:  # noqa: ANN001
    """Answer a pure-ASGI request with `error` as a problem document."""
    from shared.asgi import send_response

    headers = [(b"content-type", b"application/problem+json")]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem_headers(error).items()]
    await send_response(send, error.status, headers, problem_body(error, scope["path"], trace_id))


_MISSING = re.compile(r"missing required field `([^`]+)`")
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")


def validation_errors(extra: Any) -> list[dict[str, str]] | None:
    """Litestar's validation `extra` list as our `errors`, or None for malformed JSON."""
    if not isinstance(extra, list) or not extra:
        return None
    errors = []
    for entry in extra:
        if not isinstance(entry, dict):
            return None
        message = str(entry.get("message", "invalid"))
        field = str(entry.get("key") or "")
        missing = _MISSING.search(message)
        if missing:
            field = f"{field}.{missing.group(1)}" if field not in ("", "data") else missing.group(1)
        elif field == "data":
            field = ""
        errors.append({"field": field or "body", "message": message})
    return errors


def msgspec_errors(exc: msgspec.ValidationError) -> list[dict[str, str]]:
    """msgspec's one error ("Expected `int`, got `str` - at `$.lines[0].quantity`") as `errors`."""
    text = str(exc)
    message, _, where = text.partition(" - at `$")
    field = where.rstrip("`").lstrip(".")
    missing = _MISSING.search(message)
    if missing:
        field = f"{field}.{missing.group(1)}" if field else missing.group(1)
    return [{"field": field or "body", "message": message}]


def strict_body(struct_type: type):  # noqa: ANN201 - a Litestar before_request hook
    """Decode the raw body strictly (no "2" for 2) before Litestar's lenient conversion runs:
    malformed JSON -> 400 malformed_json, a wrong type or value -> 422 with `errors`."""

    async def check(request) -> None:  # noqa: ANN001
        body = await request.body()
        if not body:
            return
        try:
            decode_json(body, struct_type)
        except msgspec.ValidationError as exc:
            raise ValidationFailed(errors=msgspec_errors(exc)) from None

    return check


def _litestar_handlers() -> dict:
    from litestar import Request, Response
    from litestar.exceptions import HTTPException, ValidationException

    from shared.errors import BadRequest

    def respond(request: Request, error: HubError) -> Response:
        return Response(
            content=problem_body(error, request.url.path),
            status_code=error.status,
            media_type="application/problem+json",
            headers=problem_headers(error),
        )

    def on_hub_error(request: Request, exc: HubError) -> Response:
        return respond(request, exc)

    def on_validation(request: Request, exc: ValidationException) -> Response:
        errors = validation_errors(exc.extra)
        missing = _MISSING_PARAMETER.match(str(exc.detail))
        if errors is None and missing:  # a missing query parameter or header: not a body at all
            errors = [{"field": missing.group(2), "message": f"missing required {missing.group(1)} parameter"}]
        if errors is None:
            return respond(request, BadRequest("The body is not valid JSON.", code="malformed_json"))
        return respond(request, ValidationFailed(errors=errors))

    def on_http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code >= 500:
            log.error("server error on %s %s: %r", request.method, request.url.path, exc, exc_info=exc)
        if exc.status_code == 400:
            detail = str(exc.detail).lower()
            malformed = isinstance(exc.__cause__, msgspec.DecodeError) or any(
                word in detail for word in ("malformed", "decode", "truncated", "json"))
            error: HubError = BadRequest("The body is not valid JSON." if malformed else None,
                                         code="malformed_json" if malformed else "bad_request")
            return respond(request, error)
        error = HubError(exc.detail if exc.status_code < 500 else None, headers=_allow(exc.headers))
        error.status = exc.status_code  # type: ignore[misc]
        error.code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")  # type: ignore[misc]
        error.title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")  # type: ignore[misc]
        return respond(request, error)

    def on_recursion(request: Request, exc: RecursionError) -> Response:
        """Litestar decoding a ``data`` body nested past the interpreter's limit."""
        return respond(request, MalformedJson())

    def on_unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return respond(request, HubError("An unexpected error occurred."))

    return {HubError: on_hub_error, ValidationException: on_validation, HTTPException: on_http,
            RecursionError: on_recursion, Exception: on_unexpected}


def _allow(headers: dict[str, str] | None) -> dict[str, str]:
    """A 405's ``Allow`` (HEAD too wherever GET is: the edge serves HEAD as GET)."""
    allow = {k.lower(): v for k, v in (headers or {}).items()}.get("allow")
    if allow is None:
        return {}
    methods = [m.strip() for m in allow.split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.append("HEAD")
    return {"Allow": ", ".join(sorted(methods))}


def litestar_exception_handlers() -> dict:
    return _litestar_handlers()


def body_error_handlers() -> dict:
    """For an app keeping its own error shapes (the sandbox): a body the edge refused while it
    was read (413, 408, 400 incomplete) or that is not JSON, or nests too deep, is still a
    problem answer, never a 500."""
    handlers = _litestar_handlers()
    return {HubError: handlers[HubError], RecursionError: handlers[RecursionError]}
