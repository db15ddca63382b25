"""The alert rules, their thresholds (HUB_ALERT_* settings), their periodic evaluation, and
the operator webhook's sender.

    oldest_pending        a flow's oldest unfinished message is older than the threshold
    dead_letters_growing  messages dead-lettered in the last 15 minutes, not replayed, at least N
    circuit_open          a backend circuit open (or half-open) for longer than the threshold
    inventory_lag         the last hour's stock propagation p95 (receipt to checkout-visible, or
                          to the storefront when measured) above the threshold
    refund_failures       refunds failed in the last hour, at least N
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timedelta
from typing import Awaitable, Callable

import httpx
import msgspec
from sqlalchemy import func, select

from process_apis.ops.alert_store import AlertNotice, AlertStore
from process_apis.ops.flows import FlowsService
from shared.db.engine import reading
from shared.db.tables import dead_letters
from shared.errors import BackendError, BackendUnavailable
from shared.messaging.outbox import Message, utcnow
from shared.ops import signing
from shared.ops.backends import BackendView

log = logging.getLogger("commerce_hub.ops")
RULES = ("oldest_pending", "dead_letters_growing", "circuit_open", "inventory_lag", "refund_failures")


class Thresholds(msgspec.Struct, frozen=True, kw_only=True):
    oldest_pending_seconds: float = 120.0
    dead_letters_growth: int = 1
    circuit_open_seconds: float = 60.0
    inventory_lag_p95_seconds: float = 2.0
    refund_failures: int = 1


class AlertEvaluator:
    def __init__(self, store: AlertStore, flows: FlowsService, backends: Callable[[], Awaitable[list[BackendView]]],
                 thresholds: Thresholds, *, clock: Callable[[], datetime] = utcnow) -> None:
        """The lag figure is exported by every role at scrape time (``lag_gauge``), not here."""
        self._store, self._flows, self._backends, self._t, self._clock = store, flows, backends, thresholds, clock
        self._task: asyncio.Task | None = None

    async def conditions(self) -> dict[str, str | None]:
        """Each rule's finding: a detail when it holds, None when it does not."""
        view = await self._flows.view()
        now, t = self._clock(), self._t
        late = [f for f in view.items if f.oldest_pending_seconds > t.oldest_pending_seconds]
        found: dict[str, str | None] = {"oldest_pending": "; ".join(
            f"{f.flow}: oldest unfinished message {f.oldest_pending_seconds:.0f} s old" for f in late)
            + f" (limit {t.oldest_pending_seconds:g} s)" if late else None}
        growth = await self._recent_dead_letters(now)
        found["dead_letters_growing"] = (f"{growth} messages dead-lettered in the last 15 minutes and not replayed"
                                         f" (limit {t.dead_letters_growth})") if growth >= t.dead_letters_growth else None
        stuck = [b for b in await self._backends() if b.circuit != "closed" and b.circuit_since is not None
                 and (now - b.circuit_since).total_seconds() > t.circuit_open_seconds]
        found["circuit_open"] = "; ".join(
            f"{b.backend} circuit {b.circuit} for {(now - b.circuit_since).total_seconds():.0f} s" for b in stuck
        ) + f" (limit {t.circuit_open_seconds:g} s)" if stuck else None
        found["inventory_lag"] = _lag_finding(view.business["inventory_lag"], t.inventory_lag_p95_seconds)
        failed = view.business["refund_exceptions"]["last_hour"]
        found["refund_failures"] = (f"{failed} refunds failed in the last hour (limit {t.refund_failures})"
                                    if failed >= t.refund_failures else None)
        return found

    async def evaluate(self) -> None:
        for rule, detail in (await self.conditions()).items():
            if detail is not None:
                await self._store.fire(rule, detail)
            else:
                await self._store.resolve(rule, "back within its threshold")

    async def _recent_dead_letters(self, now: datetime) -> int:
        async with reading(self._store.engine) as conn:
            return int((await conn.execute(select(func.count()).select_from(dead_letters).where(
                dead_letters.c.dead_at >= now - timedelta(minutes=15), dead_letters.c.status == "open"))).scalar_one())

    def start(self, every: float) -> None:
        if every > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(every), name="alerts")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self, every: float) -> None:
        while True:
            started = time.monotonic()
            try:
                await self.evaluate()
            except Exception as exc:  # the database is away: the next round tries again
                log.warning("alert evaluation failed (%s)", type(exc).__name__)
            await asyncio.sleep(max(every - (time.monotonic() - started), 0.01))


def _lag_finding(lag: dict, limit_seconds: float) -> str | None:
    """Which propagation p95 is above the limit (no samples in the hour: nothing is late)."""
    late = [f"inventory lag {name.removeprefix('to_').removesuffix('_ms')} p95 {figure['p95']:.0f} ms over"
            f" {figure['samples']} reports in the last hour" for name in ("to_checkout_ms", "to_storefront_ms")
            if (figure := lag.get(name)) and figure["p95"] > limit_seconds * 1000]
    return "; ".join(late) + f" (limit {limit_seconds:g} s)" if late else None


class AlertWebhook:
    """The ``ops.alert`` handler: POST the notice, signed; 5xx, 408, 429 or no answer is retried
    by the worker with backoff, another 4xx dead-letters it."""

    def __init__(self, http: httpx.AsyncClient, url: str, secret: str) -> None:
        self._http, self._url, self._secret = http, url, secret

    def handlers(self) -> dict:
        from process_apis.ops.alert_store import ALERT_TOPIC

        return {ALERT_TOPIC: self.send}

    async def send(self, message: Message) -> None:
        notice = message.decode(AlertNotice)
        body = msgspec.json.encode(notice)
        headers = signing.headers(self._secret, notice.id, int(time.time()), body)
        try:
            response = await self._http.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            raise BackendUnavailable("The operator webhook did not answer.", backend="alert_webhook") from exc
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise BackendUnavailable(f"The operator webhook answered {response.status_code}.", backend="alert_webhook")
        if response.status_code >= 300:
            raise BackendError(f"The operator webhook refused the alert ({response.status_code}).",
                               backend="alert_webhook")
