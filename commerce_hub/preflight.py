"""Checks before a role starts, so that a wrong setting stops the start with one line
naming it instead of a traceback from a worker process."""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import text

from shared.db.engine import create_engine, dispose
from shared.settings import Settings, SettingsError

DB_ROLES = {"all", "gateway", "process", "system", "worker"}
SEALING_ROLES = {"all", "process", "worker"}
"""Roles that read or write partner webhook secrets (sealed with the data key)."""


def preflight(settings: Settings, role: str) -> None:
    require_sandbox_choice(settings)
    from system_apis.connections import resolve_connections  # the kinds they name, what they serve

    resolve_connections(settings, settings.sandbox_url)
    if role in DB_ROLES:
        asyncio.run(_check_database(settings))
        migrate(settings)
    if role in SEALING_ROLES:
        asyncio.run(seal_secrets(settings))
    if settings.redis_url:
        asyncio.run(_check_redis(settings.redis_url))
    needed = {
        "gateway": ["experience_url"],
        "experience": ["process_url"],
        "process": ["system_url"],
        "system": ["sandbox_url"] if settings.sandbox else [],
    }.get(role, [])
    if settings.worker_concurrency < 0 or (role == "worker" and settings.worker_concurrency == 0):
        raise SettingsError("HUB_WORKER_CONCURRENCY: at least 1 for the worker role (0 only in the all role: "
                            "no workers in that process)")
    for name in needed:
        if getattr(settings, name) is None:
            raise SettingsError(f"HUB_{name.upper()}: required for the {role} role")


def require_sandbox_choice(settings: Settings) -> None:
    """A PostgreSQL hub is a production shape: it must say whether it serves the sandbox
    (its controls can move stock and refunds), never fall back to it by default."""
    if not settings.is_sqlite and not settings.sandbox_explicit:
        raise SettingsError("HUB_SANDBOX: not set while HUB_DATABASE_URL is PostgreSQL; set HUB_SANDBOX=0 "
                            "(production, real backends) or HUB_SANDBOX=1 (sandbox backends) explicitly")


def migrate(settings: Settings) -> None:
    from shared.db.migrate import upgrade

    asyncio.run(_check_database(settings))
    upgrade(settings.database_url)


async def seal_secrets(settings: Settings, *, strict: bool | None = None) -> int:
    """Load the data key (made once in the sandbox) and seal every webhook secret under it;
    a stored secret the key does not open stops the start naming HUB_DATA_KEY_FILE (``strict``,
    production's default). The sandbox leaves such a row as it is and says so: a PostgreSQL
    sandbox keeps its key in its working directory, so two directories on one database hold
    two keys, and neither should keep the other from starting."""
    from process_apis.notifications.reseal import reseal
    from shared.sealing import SETTING, DataKeyError, load_data_keys

    keys = load_data_keys(settings)
    engine = create_engine(settings.database_url)
    try:
        done = await reseal(engine, keys, strict=not settings.sandbox if strict is None else strict)
        if done.unreadable:
            print(f"hub: {done.unreadable} webhook signing secret(s) sealed under another data key than "
                  f"{SETTING}'s; their deliveries wait until the hub runs with that key (sandbox)", file=sys.stderr)
        return done.changed
    except DataKeyError as exc:
        raise SettingsError(f"{SETTING}: {exc.reason} Start with the key that sealed them "
                            "(an old key may stay below the new one in the file).") from None
    finally:
        await dispose(engine)


async def _check_database(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), 5)
    except Exception as exc:  # any failure to reach the database is the same message
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise SettingsError(f"HUB_DATABASE_URL: cannot connect to the database ({reason})") from None
    finally:
        await dispose(engine)


async def _check_redis(url: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(url, socket_connect_timeout=3)
    try:
        await asyncio.wait_for(client.ping(), 5)
    except Exception as exc:  # any failure to reach Redis is the same message
        raise SettingsError(f"HUB_REDIS_URL: cannot connect to Redis ({type(exc).__name__})") from None
    finally:
        await client.aclose()
