"""API key storage over the system of record. Returns `KeyRecord`s, never rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.keys.schemas import KeyRecord
from shared.db.tables import api_keys

_COLUMNS = (
    api_keys.c.id,
    api_keys.c.consumer,
    api_keys.c.scopes,
    api_keys.c.plan,
    api_keys.c.customer_id,
    api_keys.c.created_at,
    api_keys.c.expires_at,
    api_keys.c.revoked_at,
    api_keys.c.previous_expires_at,
)


def _record(row) -> KeyRecord:  # noqa: ANN001 - a SQLAlchemy Row
    return KeyRecord(
        id=row.id,
        consumer=row.consumer,
        scopes=tuple(row.scopes),
        plan=row.plan,
        customer_id=row.customer_id,
        created_at=_utc(row.created_at),
        expires_at=_utc(row.expires_at),
        revoked_at=_utc(row.revoked_at),
        previous_expires_at=_utc(row.previous_expires_at),
    )


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; every time we store is UTC.
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class KeyRepository:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, record: KeyRecord, secret_hash: str, *, bootstrap: bool = False) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(api_keys).values(
                    id=record.id,
                    secret_hash=secret_hash,
                    consumer=record.consumer,
                    scopes=list(record.scopes),
                    plan=record.plan,
                    customer_id=record.customer_id,
                    created_at=record.created_at,
                    expires_at=record.expires_at,
                    bootstrap=bootstrap,
                )
            )

    async def get(self, key_id: str) -> KeyRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(*_COLUMNS).where(api_keys.c.id == key_id))).first()
        return _record(row) if row else None

    async def list(self) -> list[KeyRecord]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(*_COLUMNS).order_by(api_keys.c.created_at, api_keys.c.id))
        return [_record(row) for row in rows]

    async def find_by_hash(self, secret_hash: str) -> tuple[KeyRecord, bool] | None:
        """The key whose current (False) or previous (True) secret has this hash."""
        query = select(*_COLUMNS, api_keys.c.secret_hash).where(
            or_(api_keys.c.secret_hash == secret_hash, api_keys.c.previous_hash == secret_hash)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return _record(row), row.secret_hash != secret_hash

    async def revoke(self, key_id: str, at: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=at)
            )
        return result.rowcount == 1

    async def release_secret(self, key_id: str, placeholder_hash: str, at: datetime) -> None:
        """Take a key's secrets off it (revoked or not), so its hash may be used again."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.id == key_id).values(
                    secret_hash=placeholder_hash, previous_hash=None, previous_expires_at=None,
                    revoked_at=func.coalesce(api_keys.c.revoked_at, at))
            )

    async def rotate(self, key_id: str, new_hash: str, grace_until: datetime) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(
                    previous_hash=api_keys.c.secret_hash,
                    previous_expires_at=grace_until,
                    secret_hash=new_hash,
                )
            )
        return result.rowcount == 1
