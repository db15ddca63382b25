"""Database tables (SQLAlchemy Core). Alembic migrations create them; rows never leave
a repository: repositories return msgspec Structs."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("previous_hash", String(64), nullable=True, unique=True),
    Column("previous_expires_at", DateTime(timezone=True), nullable=True),
    Column("consumer", String(200), nullable=False),
    Column("scopes", JSON, nullable=False),
    Column("plan", String(64), nullable=False),
    Column("customer_id", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("bootstrap", Boolean, nullable=False, default=False),
)
Index("ix_api_keys_consumer", api_keys.c.consumer)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("algorithm", String(16), nullable=False),
    Column("private_pem", String, nullable=False),  # unbounded: TEXT on SQLite, VARCHAR on PostgreSQL
    Column("public_jwk", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("retired_at", DateTime(timezone=True), nullable=True),
)
# At most one active (not retired) key per algorithm: two instances generating or
# rotating at once cannot both win; the loser re-reads the winner's key.
Index(
    "uq_signing_keys_active",
    signing_keys.c.algorithm,
    unique=True,
    sqlite_where=signing_keys.c.retired_at.is_(None),
    postgresql_where=signing_keys.c.retired_at.is_(None),
)

plans = Table(
    "plans",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("rate_per_second", Float, nullable=False),
    Column("burst", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
