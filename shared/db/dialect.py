"""What differs between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which offers ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"
