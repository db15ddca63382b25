"""Is this exception the hub's own store being unreachable? (``StoreUnavailable``, 503)

A request that meets a restarting or failing-over PostgreSQL, an exhausted pool, or Redis gone
for a moment raises a driver exception that no handler translates: without this it reached the
client as a bare 500 (`bench/chaos` saw 253 of them while PostgreSQL recovered). The edge and the
internal RPC ask ``store_outage(exc)`` before answering 500, and answer ``StoreUnavailable`` with
``Retry-After`` instead: the client may retry (with its idempotency key), and the log says which
store failed. A bug (any other exception) stays a 500.
"""

from __future__ import annotations

import asyncio

from shared.errors import StoreUnavailable

RETRY_AFTER = "2"
_DRIVER_MODULES = ("asyncpg", "redis", "aiosqlite")
_DRIVER_NAMES = {"CannotConnectNowError", "ConnectionDoesNotExistError", "ConnectionFailureError",
                 "InterfaceError", "OperationalError", "AdminShutdownError", "CrashShutdownError",
                 "TooManyConnectionsError", "ConnectionError", "TimeoutError", "BusyLoadingError"}


def store_outage(exc: BaseException) -> StoreUnavailable | None:
    """A ``StoreUnavailable`` to answer when ``exc`` (or what it was raised from) says a store
    could not be reached; None for anything else."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _is_outage(current):
            return StoreUnavailable(f"The hub's store could not be reached ({type(current).__name__}); "
                                    "retry shortly.", headers={"Retry-After": RETRY_AFTER})
        current = current.__cause__ or current.__context__
    return None


def _is_outage(exc: BaseException) -> bool:
    module = type(exc).__module__.split(".", 1)[0]
    if module == "sqlalchemy":
        if getattr(exc, "connection_invalidated", False):
            return True
        return type(exc).__name__ in ("OperationalError", "InterfaceError", "TimeoutError", "DisconnectionError")
    if module in _DRIVER_MODULES:
        return type(exc).__name__ in _DRIVER_NAMES or _outage_state(getattr(exc, "sqlstate", None), str(exc))
    return isinstance(exc, (ConnectionRefusedError, ConnectionResetError, asyncio.IncompleteReadError))


def _outage_state(sqlstate: object, text: str) -> bool:
    """PostgreSQL's own words for "not now": connection exceptions (class 08), shutting down or
    starting up (57P01-57P03), too many connections (53300), a database closed to connections."""
    if not isinstance(sqlstate, str):
        return False
    if sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03", "53300"):
        return True
    return sqlstate == "55000" and "not currently accepting connections" in text
