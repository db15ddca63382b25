"""Settings of the sandbox backends: one typed object, built by the caller."""

from __future__ import annotations

import msgspec

from shared.settings import SANDBOX_SECRETS
from system_apis.sandbox.events import DeliveryRetry


def _default_secrets() -> dict[str, str]:
    """The sandbox defaults the hub's settings also use, for the backends served here."""
    return {name: SANDBOX_SECRETS[name] for name in ("wms", "pos", "erp", "shopify")}


class SandboxConfig(msgspec.Struct, kw_only=True):
    """How the sandbox announces its events, rolls its dice and ships by itself.

    Attributes:
        event_urls: backend name -> URL its events are POSTed to (the hub's
            ``/hooks/<backend>``; ``shopify`` gets its ``orders/create``
            webhooks there). A backend without one keeps its events in its
            outbox only.
        webhook_secrets: backend name -> HMAC-SHA256 secret signing its events.
        seed: seed of the random source behind ``error_rate``; ``None`` for a
            fresh one (set it in tests for deterministic faults).
        event_timeout_seconds: timeout of one event delivery attempt.
        event_retry: backoff of failed event deliveries (about two minutes in all).
        autoship_seconds: a fulfilment request released to the WMS ships by
            itself this long after its release; 0 never.
    """

    event_urls: dict[str, str] = msgspec.field(default_factory=dict)
    webhook_secrets: dict[str, str] = msgspec.field(default_factory=_default_secrets)
    seed: int | None = None
    event_timeout_seconds: float = 2.0
    event_retry: DeliveryRetry = msgspec.field(default_factory=DeliveryRetry)
    autoship_seconds: float = 10.0
