"""What every experience API document says the same way: the guide text (auth, plans,
rate limits, errors, versioning), the `Problem` schema and the problem answers each
operation may give."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec

from experience_apis.versions import ApiVersion

GUIDE = """
## Authentication
Send `X-API-Key: <key>` (a key made by an operator) or `Authorization: Bearer <token>`
(a hub token from `POST /oauth/token`, or for the mobile API a JWT from the identity
provider). Missing or invalid credentials: 401 with `WWW-Authenticate`; a valid
credential without the operation's scope: 403.

## Plans and rate limits
| plan | requests/s | burst |
|---|---|---|
| standard | 20 | 40 |
| partner | 50 | 100 |
| internal | 500 | 1000 |

Every authenticated answer carries `RateLimit-Policy: "<plan>";q=<quota>;w=<window s>`
and `RateLimit: "<plan>";r=<remaining>;t=<seconds to reset>`. Over the limit: 429 with
`Retry-After` (seconds) and code `rate_limited`.

## Errors
Every error is an RFC 9457 `application/problem+json` document (`Problem`): `type`,
`title`, `status`, `detail`, a stable machine `code` and the `trace_id` to quote to
support; validation errors (422 `validation_failed`) add `errors: [{field, message}]`.

## Versions
The version is in the path. A published version never breaks: no removed or renamed
field, no changed type or status code, no new required input. A deprecated version
answers with `Deprecation` (RFC 9745), `Sunset` (RFC 8594) and
`Link: <successor>; rel="successor-version"`.
""".strip()


class FieldError(msgspec.Struct):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem with the hub's `code` and `trace_id`."""

    type: str
    title: str
    status: int
    detail: str
    code: Annotated[str, msgspec.Meta(description="A stable machine word, e.g. `unknown_sku`.")]
    trace_id: Annotated[str, msgspec.Meta(description="The W3C trace id of the request (32 hex digits).")]
    instance: str | None = None
    errors: list[FieldError] | None = None
    """Validation problems only (422 `validation_failed`)."""


_PROBLEMS = {
    400: "A malformed request: `malformed_json` or `bad_request`.",
    401: "Missing or invalid credentials (`unauthorized`), with `WWW-Authenticate`.",
    403: "The credential lacks the scope or may not act for that customer.",
    404: "No such resource, or one that belongs to another customer.",
    413: "The body is over 1 MiB (`payload_too_large`).",
    422: "Invalid input (`validation_failed` with `errors`) or a broken business rule.",
    429: "Over the plan's rate limit (`rate_limited`), with `Retry-After`.",
    502: "A back-office system refused the hub's call (`backend_error`).",
    503: "A back-office system is unavailable (`backend_unavailable`, `circuit_open`) or the hub is "
         "starting (`starting`); retry later, after `Retry-After` when given.",
}

IDEMPOTENT_WRITE = {
    400: "Malformed JSON (`malformed_json`), or no `Idempotency-Key` of 1 to 255 characters "
         "(`idempotency_key_missing`).",
    409: "A request with this `Idempotency-Key` is still being answered (`idempotency_key_in_flight`); retry.",
}
"""The problem answers of every write that takes an `Idempotency-Key` (orders and returns)."""


RESPONSE_HEADERS = [
    ResponseHeader(name="X-Request-ID", documentation_only=True,
                   description="The request's id: a valid incoming one echoed, else a new one."),
    ResponseHeader(name="RateLimit-Policy", documentation_only=True,
                   description='The plan\'s quota: `"<plan>";q=<quota>;w=<window seconds>`.'),
    ResponseHeader(name="RateLimit", documentation_only=True,
                   description='What is left: `"<plan>";r=<remaining>;t=<seconds to reset>`.'),
]
"""Headers on every successful answer (documented; the gateway sets them)."""


def problem_response(description: str) -> ResponseSpec:
    """One problem answer for an operation's `responses` (overrides the default text)."""
    return ResponseSpec(data_container=Problem, media_type="application/problem+json",
                        description=description, generate_examples=False)


def problem_responses(*, with_body: bool, with_path_parameters: bool) -> dict[int, ResponseSpec]:
    """The problem answers any operation may give: malformed request, auth, validation, rate
    limit, backends, plus 404 with path parameters and 413 with a body."""
    statuses = [400, 401, 403, 422, 429, 502, 503] + ([404] if with_path_parameters else []) + (
        [413] if with_body else [])
    return {status: problem_response(_PROBLEMS[status]) for status in sorted(statuses)}


def problems(*described: dict[int, str]) -> dict[int, ResponseSpec]:
    """An operation's own problem answers (`responses=`), over the defaults: `{status: text}`
    dicts, later ones winning."""
    merged: dict[int, str] = {}
    for part in described:
        merged.update(part)
    return {status: problem_response(text) for status, text in merged.items()}


def description(version: ApiVersion) -> str:
    """The document's description: the version's summary, status and changelog, then the guide."""
    lines = [version.summary, "", f"Status: **{version.status}** (released {version.released.isoformat()})."]
    if version.status == "deprecated" and version.deprecated_at is not None:
        lines.append(f"Deprecated since {version.deprecated_at.isoformat()}; successor `{version.successor}`"
                     + (f"; sunset {version.sunset.isoformat()}." if version.sunset else "."))
    lines += ["", "## Changelog"] + [f"- {e.on.isoformat()}: {e.change}" for e in version.changelog]
    return "\n".join(lines + ["", GUIDE])

