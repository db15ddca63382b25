"""The notification process as the partner API sees it (``NotificationPort``).

Subscriptions belong to a customer: every call names the caller's, and another customer's
subscription answers ``NotFound`` exactly as a missing one does. A URL is checked by the
sender's guard when subscribing (and again at every delivery).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_
from sqlalchemy.ext.asyncio import AsyncEngine

from process_apis.notifications import repository as repo
from process_apis.notifications.schemas import EVENT_TYPES, Delivery, DeliveryPage, Subscription
from shared.db.engine import reading
from shared.db.tables import webhook_deliveries as deliveries
from shared.errors import BusinessRuleViolation, NotFound, ValidationFailed
from shared.sealing import DataKeys
from system_apis.webhooks.port import WebhookSenderPort, new_secret

MAX_REPLAY = 10_000
"""Deliveries one time-range replay may queue again."""


class NotificationService:
    """Signing secrets are stored sealed with ``keys`` (``shared.sealing``), bound to their
    subscription's id; the plaintext is answered once, by ``subscribe`` and ``rotate_secret``."""

    def __init__(self, engine: AsyncEngine, sender: WebhookSenderPort, *, keys: DataKeys,
                 secret_overlap: float = 86400.0, wake: Callable[[], None] = lambda: None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._engine, self._sender, self._overlap, self._keys = engine, sender, secret_overlap, keys
        self._wake, self._clock = wake, clock

    async def subscribe(self, customer_id: str, consumer: str, url: str, events: list[str]) -> Subscription:
        unknown = [e for e in events if e not in EVENT_TYPES]
        if unknown or not events:
            raise ValidationFailed(errors=[{"field": "events", "message": f"one or more of {', '.join(EVENT_TYPES)}"}])
        await self._sender.vet(url)
        secret, now, subscription_id = new_secret(), self._clock(), repo.new_subscription_id()
        values = dict(id=subscription_id, customer_id=customer_id, consumer=consumer, url=url,
                      events=sorted(set(events)), secret=self._keys.seal(secret, subscription_id), status="active",
                      created_at=now)
        async with self._engine.begin() as conn:
            if await repo.count_for(conn, customer_id) >= repo.MAX_PER_CUSTOMER:
                raise BusinessRuleViolation(f"A customer may have at most {repo.MAX_PER_CUSTOMER} webhook "
                                            "subscriptions.", code="too_many_webhooks")
            await repo.add_subscription(conn, values)
            row = await repo.find(conn, customer_id, values["id"])
        return repo.subscription_of(row, secret=secret)

    async def subscriptions(self, customer_id: str) -> list[Subscription]:
        async with reading(self._engine) as conn:
            return [repo.subscription_of(r) for r in await repo.of_customer(conn, customer_id)]

    async def unsubscribe(self, customer_id: str, subscription_id: str) -> None:
        async with self._engine.begin() as conn:
            await self._find(conn, customer_id, subscription_id)
            await repo.remove(conn, subscription_id)

    async def rotate_secret(self, customer_id: str, subscription_id: str) -> Subscription:
        secret, now = new_secret(), self._clock()
        until = now + timedelta(seconds=self._overlap)
        async with self._engine.begin() as conn:
            row = await self._find(conn, customer_id, subscription_id)
            # the previous secret is resealed under the current key (a plaintext one from before sealing too)
            await repo.change(conn, subscription_id, secret=self._keys.seal(secret, subscription_id),
                              previous_secret=self._keys.reseal(row.secret, subscription_id),
                              previous_secret_until=until)
            row = await repo.find(conn, customer_id, subscription_id)
        rotated = repo.subscription_of(row, secret=secret)
        rotated.previous_secret_expires_at = until
        return rotated

    async def enable(self, customer_id: str, subscription_id: str) -> Subscription:
        now = self._clock()
        async with self._engine.begin() as conn:
            await self._find(conn, customer_id, subscription_id)
            await repo.change(conn, subscription_id, status="active", disabled_at=None, failing_since=None)
            for lane in sorted(await repo.pending_lanes(conn, subscription_id, now)):
                await repo.trigger(conn, subscription_id, lane)
            row = await repo.find(conn, customer_id, subscription_id)
        self._wake()
        return repo.subscription_of(row)

    async def deliveries(self, customer_id: str, subscription_id: str, limit: int,
                         before: int | None = None) -> DeliveryPage:
        async with reading(self._engine) as conn:
            await self._find(conn, customer_id, subscription_id)
            items = await repo.page(conn, subscription_id, limit + 1, before)
        more = len(items) > limit
        items = items[:limit]
        return DeliveryPage(items=items, next_before=items[-1].seq if more and items else None)

    async def replay(self, customer_id: str, subscription_id: str, webhook_id: str) -> Delivery:
        now = self._clock()
        async with self._engine.begin() as conn:
            await self._find(conn, customer_id, subscription_id)
            mine = and_(deliveries.c.subscription_id == subscription_id, deliveries.c.webhook_id == webhook_id)
            found = await repo.page_where(conn, mine)
            if found is None:
                raise NotFound(f"No delivery {webhook_id} for this webhook.", code="unknown_delivery")
            for lane in await repo.again(conn, mine, now):
                await repo.trigger(conn, subscription_id, lane)
            found = await repo.page_where(conn, mine)
        self._wake()
        return found

    async def replay_range(self, customer_id: str, subscription_id: str, since: datetime, until: datetime) -> int:
        if until <= since:
            raise ValidationFailed(errors=[{"field": "until", "message": "must be after since"}])
        now = self._clock()
        in_range = and_(deliveries.c.subscription_id == subscription_id, deliveries.c.created_at >= since,
                        deliveries.c.created_at < until)
        async with self._engine.begin() as conn:
            await self._find(conn, customer_id, subscription_id)
            count = await repo.count_settled(conn, in_range)
            if count > MAX_REPLAY:
                raise BusinessRuleViolation(f"{count} deliveries in that range; replay at most {MAX_REPLAY} at once.",
                                            code="replay_too_large")
            for lane in sorted(await repo.again(conn, in_range, now)):
                await repo.trigger(conn, subscription_id, lane)
        self._wake()
        return count

    async def _find(self, conn, customer_id: str, subscription_id: str):  # noqa: ANN001, ANN202
        row = await repo.find(conn, customer_id, subscription_id)
        if row is None:
            raise NotFound(f"No webhook {subscription_id}.", code="unknown_webhook")
        return row
