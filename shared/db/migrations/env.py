"""Alembic environment: runs migrations over the async engine; on PostgreSQL under an
advisory lock so that instances starting together never migrate twice."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection

from shared.db.engine import create_engine
import shared.db.ops_tables  # noqa: F401 - its tables join the metadata
import shared.db.reconcile_tables  # noqa: F401 - its tables join the metadata
import shared.db.stock_tables  # noqa: F401 - its tables join the metadata
import shared.db.storefront_tables  # noqa: F401 - its tables join the metadata
import shared.db.erp_tables  # noqa: F401 - its tables join the metadata
import shared.db.edi_tables  # noqa: F401 - its tables join the metadata
import shared.db.migration_tables  # noqa: F401 - its tables join the metadata
import shared.db.fulfilment_tables  # noqa: F401 - its tables join the metadata
import shared.db.channel_poll_tables  # noqa: F401 - its tables join the metadata
from shared.db.tables import metadata

_LOCK_ID = 0x48554221  # "HUB!"


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _main() -> None:
    engine = create_engine(context.config.get_main_option("sqlalchemy.url"))
    async with engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            await conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _LOCK_ID})
            await conn.commit()
        try:
            await conn.run_sync(_run)
            await conn.commit()
        finally:
            if postgres:
                await conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _LOCK_ID})
                await conn.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `hub db upgrade`")
asyncio.run(_main())
