"""A backend's delivery: one signed body carrying one event, or a batch of them (WMS and POS).

A body is either one event in the vendor's own shape (as before) or a batch::

    {"events": [<event as it would be sent alone>, ...]}

with 1 to ``MAX_EVENTS`` members, in the order the backend produced them (their
sequences, not their order, decide which stock report is newest). A body with an
``events`` member is a batch; any other body is one event. The delivery is taken whole
or not at all: a member that is not an event of that vendor is a 400 problem naming its
index (``index``, from 0) and nothing of the delivery is stored; more than
``MAX_EVENTS`` members is a 413 (``too_many_events``), none is a 400. Pure functions, no
I/O; a body that is not JSON raises ``msgspec.DecodeError`` as the single-event parsers
do, for the caller to answer 400.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import msgspec

from shared.errors import BadRequest, PayloadTooLarge
from shared.jsonbody import MALFORMED

T = TypeVar("T")
MAX_EVENTS = 500
"""Most events in one delivery: about 100 KB of stock reports, well inside the hooks' 1 MiB body."""


class _Envelope(msgspec.Struct):
    events: list[msgspec.Raw] | None = None


_ENVELOPE = msgspec.json.Decoder(_Envelope)


class TooManyEvents(PayloadTooLarge):
    code = "too_many_events"


def parse_delivery(body: bytes, parse_one: Callable[[bytes], T], vendor: str) -> list[T]:
    """The events of ``body`` in order, each parsed by ``parse_one`` (the vendor's one-event parser)."""
    members = _ENVELOPE.decode(body).events
    if members is None:
        return [parse_one(body)]
    if not members:
        raise BadRequest(f"The {vendor} delivery carries no events.", code="malformed_event")
    if len(members) > MAX_EVENTS:
        raise TooManyEvents(f"A {vendor} delivery carries at most {MAX_EVENTS} events, not {len(members)}.",
                            limit=MAX_EVENTS)
    out = []
    for index, member in enumerate(members):
        try:
            out.append(parse_one(member))
        except MALFORMED as exc:
            raise BadRequest(f"Event {index} of the delivery is not a {vendor} event this hub understands: {exc}",
                             code="malformed_event", index=index) from exc
    return out
