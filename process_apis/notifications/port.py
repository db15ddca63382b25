"""What the partner experience API may ask of the notification process. Every call names the
caller's customer: another customer's subscription is ``NotFound`` (404, never 403)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from process_apis.notifications.schemas import Delivery, DeliveryPage, Subscription


class NotificationPort(Protocol):
    async def subscribe(self, customer_id: str, consumer: str, url: str, events: list[str]) -> Subscription:
        """A new subscription with its secret (shown only in this answer). ``UrlRefused`` (422)."""
        ...

    async def subscriptions(self, customer_id: str) -> list[Subscription]:
        ...

    async def unsubscribe(self, customer_id: str, subscription_id: str) -> None:
        ...

    async def rotate_secret(self, customer_id: str, subscription_id: str) -> Subscription:
        """A new secret (shown once); the previous one also signs for the overlap."""
        ...

    async def enable(self, customer_id: str, subscription_id: str) -> Subscription:
        """Active again; its held deliveries go out, in order."""
        ...

    async def deliveries(self, customer_id: str, subscription_id: str, limit: int,
                         before: int | None = None) -> DeliveryPage:
        ...

    async def replay(self, customer_id: str, subscription_id: str, webhook_id: str) -> Delivery:
        ...

    async def replay_range(self, customer_id: str, subscription_id: str, since: datetime,
                           until: datetime) -> int:
        ...
