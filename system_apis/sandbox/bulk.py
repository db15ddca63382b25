"""The bulk-create shape two sandbox vendors share: many writes in one request, one answer each.

    POST .../batch   {"requests": [{"idempotencyKey"?: "...", "body": {...}}, ...]}   (1 to 100)
    -> 200           {"responses": [{"status": 201, "body": <the record>},
                                    {"status": 400, "body": <the vendor's error>}, ...]}

Each request is the vendor's single write, run in order, with the status and
body that write would have answered alone: its own idempotency (a key or
reference seen before answers 200 with the first record), its own refusal.
The batch itself is faulted as one request (the vendor's fault gate runs
before it): an outage or a throttle fails the whole batch, never a part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import msgspec
from litestar import Response

MAX_REQUESTS = 100


class BulkRequest(msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True):
    body: msgspec.Raw
    idempotency_key: str | None = None


class BulkIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    requests: Annotated[list[BulkRequest], msgspec.Meta(min_length=1, max_length=MAX_REQUESTS)]


class BulkResponse(msgspec.Struct, frozen=True):
    status: int
    body: msgspec.Raw


class BulkOut(msgspec.Struct, frozen=True):
    responses: list[BulkResponse]


_ENCODE = msgspec.json.Encoder()


def run_bulk(requests: list[BulkRequest], write: Callable[[BulkRequest], Response[Any]],
             errors: dict[type[Exception], Callable[[Any, Any], Response[Any]]]) -> BulkOut:
    """Each request through ``write`` (the single write's answer), a refusal through its handler in
    ``errors`` (the single route's exception handlers), in order."""
    answers = []
    for request in requests:
        try:
            response = write(request)
        except tuple(errors) as exc:
            response = next(handle for kind, handle in errors.items() if isinstance(exc, kind))(None, exc)
        answers.append(BulkResponse(status=response.status_code, body=msgspec.Raw(_ENCODE.encode(response.content))))
    return BulkOut(responses=answers)
