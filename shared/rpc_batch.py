"""Many internal RPC calls in one HTTP request: the worker -> system hop, batched.

A worker process makes one backend call per message it runs (an ERP post, a
WMS release), dozens at once. Split, each was its own POST to the system role:
per call the client's pool bookkeeping and the server's request handling cost
more CPU than the call's own work (docs/performance.md). ``RpcBatcher`` gathers
the calls that are made at the same time into one ``POST /rpc/_batch``
(``shared.batching.GroupCommit``: no timer, a lone call leaves at once, the
calls made while a batch is out wait for the next one):

    {"calls": [{"path": "/rpc/erp/post_sales_order", "args": {...},
                "deadline": 29.5, "traceparent": "00-..."}, ...]}
    -> 200 {"answers": [{"status": 200, "body": <the result>}, {"status": 503, "body": <a problem>}, ...]}

Each call keeps what it had alone: its own deadline and trace parent, its own
answer or problem (raised on the caller's side as the same error), and the
same arguments, so an idempotency key sent to a vendor is unchanged and a
batch lost in transit is retried call by call as before. What a batch adds: a
call's answer waits for the slowest call of its batch (bounded by the calls'
deadlines), so batching is for the asynchronous flows, not a customer waiting.
A server without the batch path (404: an older system role during a rolling
deploy) gets the calls one by one from then on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import msgspec

from shared.batching import GroupCommit
from shared.resilience import remaining_deadline
from shared.telemetry import current_traceparent

BATCH_PATH = "/rpc/_batch"


class BatchCall(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    args: msgspec.Raw
    deadline: float | None = None
    """Seconds the caller had left (None: the server's ceiling)."""
    traceparent: str | None = None


class Batch(msgspec.Struct, frozen=True):
    calls: list[BatchCall]


class BatchAnswer(msgspec.Struct, frozen=True):
    status: int
    body: msgspec.Raw


class BatchAnswers(msgspec.Struct, frozen=True):
    answers: list[BatchAnswer]


class RpcBatcher:
    """Sends the calls of ``rpc_client``s that share it in batches of at most ``limit``, with up to
    ``parallel`` batches out at once (calls keep arriving while one is answered)."""

    def __init__(self, http: httpx.AsyncClient, *, limit: int = 64, parallel: int = 4) -> None:
        self._http = http
        self._group: GroupCommit[BatchCall, tuple[int, bytes]] = GroupCommit(self._send, limit=limit,
                                                                             parallel=parallel, isolated=True)
        self._encoder = msgspec.json.Encoder()
        self._decoder = msgspec.json.Decoder(BatchAnswers)
        self._unbatched = False

    async def call(self, path: str, args: bytes) -> tuple[int, bytes]:
        """The call's status and body; raises ``httpx.HTTPError`` when the server was not reached."""
        call = BatchCall(path=path, args=msgspec.Raw(args), deadline=remaining_deadline(),
                         traceparent=current_traceparent())
        return await self._group.submit(call)

    async def _send(self, calls: list[BatchCall]) -> Sequence[tuple[int, bytes]]:
        if not self._unbatched:
            response = await self._http.post(BATCH_PATH, content=self._encoder.encode(Batch(calls)),
                                             headers={"content-type": "application/json"})
            if response.status_code == 200:
                return [(a.status, bytes(a.body)) for a in self._decoder.decode(response.content).answers]
            if response.status_code != 404:
                raise httpx.HTTPStatusError(f"batch answered {response.status_code}", request=response.request,
                                            response=response)
            self._unbatched = True
        return await asyncio.gather(*(self._one(call) for call in calls))

    async def _one(self, call: BatchCall) -> tuple[int, bytes]:
        headers = {"content-type": "application/json"}
        if call.traceparent:
            headers["traceparent"] = call.traceparent
        if call.deadline is not None:
            headers["x-hub-deadline"] = f"{call.deadline:.3f}"
        response = await self._http.post(call.path, content=bytes(call.args), headers=headers)
        return response.status_code, response.content
