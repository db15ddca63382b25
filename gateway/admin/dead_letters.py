"""Admin API: the dead-letter queue (CONTRACT section 7). Scope `admin`.

Replay answers 202: the message is back in the outbox, its work happens
asynchronously. A second (or concurrent) replay of the same dead letter is 409
`already_replayed`, so the work resumes exactly once. The answer names the
backend the dead letter failed on and its circuit (`backend_circuit`; with
`retry_at` while open: the message waits for it).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.params import Parameter

from experience_apis.http import INJECTED, requires
from shared.messaging.dead_letters import DeadLetter, DeadLetterPage, DeadLetterService, Replayed

DeadLetters = Annotated[DeadLetterService, INJECTED]
Limit = Annotated[int, Parameter(ge=1, le=200, description="Dead letters per page, 1 to 200.")]


class DeadLettersController(Controller):
    path = "/admin/v1/dead-letters"
    tags = ["dead-letters"]
    guards = [requires("admin")]

    @get("/", operation_id="listDeadLetters")
    async def list_dead_letters(self, dead_letters: DeadLetters, limit: Limit = 50, cursor: str | None = None,
                                topic: str | None = None) -> DeadLetterPage:
        """Newest first; pass `next_cursor` as `cursor` for the next page."""
        return await dead_letters.list(limit, cursor, topic)

    @get("/{letter_id:str}", operation_id="getDeadLetter")
    async def get_dead_letter(self, letter_id: str, dead_letters: DeadLetters) -> DeadLetter:
        return await dead_letters.get(letter_id)

    @post("/{letter_id:str}/replay", operation_id="replayDeadLetter", status_code=202)
    async def replay(self, letter_id: str, dead_letters: DeadLetters) -> Replayed:
        """Back to the outbox with its attempts reset; 409 `already_replayed` the second time.

        For a dead letter that failed on a backend, `backend` and its circuit as the system
        APIs see it now: `closed`, `open` or `half_open` (`unknown` when it cannot be read).
        While open, `retry_at` (RFC 3339 UTC): the message is due then, when the circuit
        may probe, not before."""
        return await dead_letters.replay(letter_id)

    @delete("/{letter_id:str}", operation_id="deleteDeadLetter", status_code=204)
    async def delete_dead_letter(self, letter_id: str, dead_letters: DeadLetters) -> None:
        await dead_letters.delete(letter_id)
