"""Which dead letters an operator means: the filters of the listing and of a bulk replay.

``flow`` names one of the hub's flows (``order_capture``, ``erp_posting``, ...); the service
is given each flow's topics by the composition root (``process_apis.ops.catalog``), so a
flow's letters are those of its topics. ``code`` is the error code: the part of ``reason``
before the first ``:``. ``since`` / ``until`` bound ``dead_at`` (RFC 3339 with an offset,
``since`` inclusive, ``until`` exclusive).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy import ColumnElement

from shared.db.tables import dead_letters
from shared.errors import ValidationFailed
from shared.problems import msgspec_errors

Status = Literal["open", "replayed", "resolved"]
Code = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,63}$",
                                   description="An error code, e.g. `backend_unavailable`.")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Instant = Annotated[datetime, msgspec.Meta(tz=True, description="RFC 3339 with an offset.")]


class DeadLetterFilter(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Every field optional; all given ones must hold. An empty filter means every dead letter."""

    flow: Name | None = None
    topic: Name | None = None
    backend: Name | None = None
    code: Code | None = None
    since: Instant | None = None
    until: Instant | None = None
    status: Status | None = None

    def is_empty(self) -> bool:
        return self == DeadLetterFilter()


def parse_filter(raw: Mapping[str, Any], prefix: str = "") -> DeadLetterFilter:
    """A filter from query parameters (strings) or a decoded body; 422 naming the field."""
    try:
        spec = msgspec.convert({k: v for k, v in raw.items() if v is not None}, DeadLetterFilter, strict=False)
    except msgspec.ValidationError as exc:
        errors = msgspec_errors(exc)
        raise ValidationFailed(errors=[{**e, "field": prefix + e["field"]} for e in errors]) from None
    return checked(spec, prefix)


def checked(spec: DeadLetterFilter, prefix: str = "") -> DeadLetterFilter:
    if spec.since is not None and spec.until is not None and spec.until <= spec.since:
        raise ValidationFailed(errors=[{"field": f"{prefix}until", "message": "must be later than since"}])
    return spec


def conditions(spec: DeadLetterFilter, flows: Mapping[str, Sequence[str]], prefix: str = "") -> list[ColumnElement]:
    """The filter as SQL conditions on ``dead_letters`` (each backed by an index but ``code``)."""
    c = dead_letters.c
    where: list[ColumnElement] = []
    if spec.flow is not None:
        if spec.flow not in flows:
            known = ", ".join(sorted(flows)) or "none configured"
            raise ValidationFailed(errors=[{"field": f"{prefix}flow", "message": f"unknown flow; known: {known}"}])
        where.append(c.topic.in_(list(flows[spec.flow])))
    if spec.topic is not None:
        where.append(c.topic == spec.topic)
    if spec.backend is not None:
        where.append(c.backend == spec.backend)
    if spec.code is not None:
        where.append(c.reason.startswith(f"{spec.code}:", autoescape=True))
    if spec.since is not None:
        where.append(c.dead_at >= spec.since.astimezone(UTC))  # stored in UTC (SQLite compares text)
    if spec.until is not None:
        where.append(c.dead_at < spec.until.astimezone(UTC))
    if spec.status is not None:
        where.append(c.status == spec.status)
    return where
