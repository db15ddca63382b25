"""What differs between SQLite and PostgreSQL, in one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Table, any_, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def insert(conn: AsyncConnection, table: Table) -> Any:
    """The dialect's INSERT, which offers ``on_conflict_do_nothing`` / ``on_conflict_do_update``."""
    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def is_postgres(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


def among(column: Any, values: Iterable[Any], dialect: str) -> Any:
    """``column IN (values)``. PostgreSQL: ``column = ANY($1)`` with the values as one array
    parameter, so the statement's text is the same however many values there are and the driver
    prepares it once (an IN list of each new length was a new prepared statement: a round trip
    and a parse and plan in PostgreSQL); elsewhere an expanding IN."""
    values = list(values)
    if dialect == "postgresql":
        return column == any_(bindparam("among", values, type_=postgresql.ARRAY(column.type), unique=True))
    return column.in_(values)
