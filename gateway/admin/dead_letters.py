"""Admin API: the dead-letter queue (CONTRACT section 7). Scope `admin` or `console`;
discarding one (`DELETE`) only `admin`.

Replay answers 202: the message is back in the outbox, its work happens
asynchronously. A second (or concurrent) replay of the same dead letter is 409
`already_replayed`, so the work resumes exactly once. The answer names the
backend the dead letter failed on and its circuit (`backend_circuit`; with
`retry_at` while open: the message waits for it).

At operator scale (issue 12): the listing filters by flow, topic, backend, error code,
time and status; `POST /replay` replays (or, `dry_run`, counts) every open letter a
filter matches; `POST /{id}/resolve` closes one without a replay, with a note. Every
action is audited with the caller's key id and consumer (`GET /admin/v1/audit`).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, delete, get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED, CurrentPrincipal
from experience_apis.openapi import problems
from experience_apis.operations.guards import ADMIN, OPERATOR
from shared.errors import ValidationFailed
from shared.messaging.dead_letter_filter import DeadLetterFilter, Status, checked, parse_filter
from shared.messaging.dead_letters import BulkReplayed, DeadLetter, DeadLetterPage, DeadLetterService, Replayed
from shared.ops.audit import Actor
from shared.problems import strict_body

DeadLetters = Annotated[DeadLetterService, INJECTED]
Limit = Annotated[int, Parameter(ge=1, le=200, description="Dead letters per page, 1 to 200.")]
Text = Annotated[str | None, Parameter(max_length=64)]
Instant = Annotated[str | None, Parameter(description="RFC 3339 with an offset, e.g. 2026-11-22T10:00:00Z.")]
_STATUS = {409: "The dead letter is no longer open: `already_replayed` or `already_resolved`."}


class BulkReplay(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    filter: DeadLetterFilter = msgspec.field(default_factory=DeadLetterFilter)
    """The letters to replay (only open ones are); empty: all of them, which needs `confirm`."""
    dry_run: bool = False
    """Only count them (`matched`); nothing changes."""
    limit: Annotated[int, msgspec.Meta(ge=1)] | None = None
    """Replay at most this many, oldest first."""
    confirm: bool = False
    """Required (true) to replay with an empty filter: every open dead letter."""


class Resolve(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
    """Why it is closed without a replay (kept with the letter and in the audit log)."""


class DeadLettersController(Controller):
    path = "/admin/v1/dead-letters"
    tags = ["dead-letters"]
    guards = [OPERATOR]

    @get("/", operation_id="listDeadLetters")
    async def list_dead_letters(self, dead_letters: DeadLetters, limit: Limit = 50, cursor: str | None = None,
                                topic: Text = None, flow: Text = None, backend: Text = None, code: Text = None,
                                since: Instant = None, until: Instant = None,
                                status: Status | None = None) -> DeadLetterPage:
        """Newest first; pass `next_cursor` as `cursor` for the next page (the same filters).
        `flow`: a flow of `GET /admin/v1/flows`; `code`: the error code (the `reason` before
        its `:`); `since` (inclusive) and `until` (exclusive) bound `dead_at`; `status`:
        `open`, `replayed` or `resolved`."""
        where = parse_filter({"topic": topic, "flow": flow, "backend": backend, "code": code, "since": since,
                              "until": until, "status": status})
        return await dead_letters.list(limit, cursor, where=where)

    @post("/replay", operation_id="replayDeadLetters", status_code=200, before_request=strict_body(BulkReplay))
    async def replay_matching(self, data: BulkReplay, dead_letters: DeadLetters,
                              principal: CurrentPrincipal) -> BulkReplayed:
        """Replay every open dead letter the filter matches, each exactly once (concurrent
        calls never replay one twice: the other counts it `skipped`), oldest first, in
        batches. `dry_run`: only `matched`, nothing changes. An empty filter without
        `dry_run` needs `"confirm": true`. `circuits`: each backend's circuit, with
        `retry_at` while it holds calls back (those messages wait for it)."""
        where = checked(data.filter, "filter.")
        if where.is_empty() and not data.dry_run and not data.confirm:
            raise ValidationFailed(errors=[{"field": "confirm", "message": "must be true to replay every open "
                                            "dead letter (an empty filter); try dry_run first"}])
        return await dead_letters.replay_matching(where, dry_run=data.dry_run, limit=data.limit,
                                                  actor=Actor.of(principal))

    @get("/{letter_id:str}", operation_id="getDeadLetter")
    async def get_dead_letter(self, letter_id: str, dead_letters: DeadLetters) -> DeadLetter:
        return await dead_letters.get(letter_id)

    @post("/{letter_id:str}/replay", operation_id="replayDeadLetter", status_code=202, responses=problems(_STATUS))
    async def replay(self, letter_id: str, dead_letters: DeadLetters, principal: CurrentPrincipal) -> Replayed:
        """Back to the outbox with its attempts reset; 409 `already_replayed` the second time
        (`already_resolved` for a resolved one).

        For a dead letter that failed on a backend, `backend` and its circuit as the system
        APIs see it now: `closed`, `open` or `half_open` (`unknown` when it cannot be read).
        While open, `retry_at` (RFC 3339 UTC): the message is due then, when the circuit
        may probe, not before."""
        return await dead_letters.replay(letter_id, Actor.of(principal))

    @post("/{letter_id:str}/resolve", operation_id="resolveDeadLetter", status_code=200,
          before_request=strict_body(Resolve), responses=problems(_STATUS))
    async def resolve(self, letter_id: str, data: Resolve, dead_letters: DeadLetters,
                      principal: CurrentPrincipal) -> DeadLetter:
        """Close an open dead letter without a replay; it stays listed with status
        `resolved`, the note, who (`resolved_by`) and when (`resolved_at`)."""
        return await dead_letters.resolve(letter_id, data.note, Actor.of(principal))

    @delete("/{letter_id:str}", operation_id="deleteDeadLetter", status_code=204, guards=[ADMIN])
    async def delete_dead_letter(self, letter_id: str, dead_letters: DeadLetters,
                                 principal: CurrentPrincipal) -> None:
        await dead_letters.delete(letter_id, Actor.of(principal))
