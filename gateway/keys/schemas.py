"""Wire and record shapes of API keys. A secret appears only in `KeyCreated`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Scope = Annotated[str, msgspec.Meta(pattern=r"^(catalog:read|orders:write|orders:read|returns:write|returns:read|webhooks:manage|customers:any|admin|metrics:read|console)$")]


class KeyRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    consumer: str
    scopes: tuple[str, ...]
    plan: str
    customer_id: str | None = None
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    previous_expires_at: datetime | None = None

    def is_active(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


MAX_KEY_LIFETIME_SECONDS = 10 * 365 * 86400
"""The longest `expires_in_seconds` (ten years): beyond it a date overflows; 422 instead."""


class KeyCreate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    consumer: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
    plan: str | None = None
    customer: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    expires_in_seconds: Annotated[int, msgspec.Meta(gt=0, le=MAX_KEY_LIFETIME_SECONDS)] | None = None


class KeyRotate(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    grace_seconds: Annotated[int, msgspec.Meta(ge=0, le=30 * 86400)] = 3600


class KeyView(msgspec.Struct, kw_only=True):
    """A key as listings show it: never the secret."""

    id: str
    consumer: str
    scopes: list[str]
    plan: str
    customer: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    status: str

    @classmethod
    def of(cls, record: KeyRecord, now: datetime) -> "KeyView":
        status = "revoked" if record.revoked_at else ("active" if record.is_active(now) else "expired")
        return cls(
            id=record.id,
            consumer=record.consumer,
            scopes=list(record.scopes),
            plan=record.plan,
            customer=record.customer_id,
            created_at=record.created_at,
            expires_at=record.expires_at,
            revoked_at=record.revoked_at,
            status=status,
        )


class KeyCreated(KeyView, kw_only=True):
    key: str
    """The secret, shown only once."""

    @classmethod
    def of_view(cls, view: KeyView, secret: str) -> "KeyCreated":
        return cls(**msgspec.structs.asdict(view), key=secret)


class KeyList(msgspec.Struct):
    items: list[KeyView]
