"""bench/flows.py's statement counter, loaded into the hub's processes through PYTHONPATH (nothing
else puts this folder on the path). With HUB_BENCH_STATEMENTS=DIR, counts what this process asks
of PostgreSQL through asyncpg, as ``<round trips> <executions>`` written to DIR/<pid> twice a
second: a statement, a BEGIN or a COMMIT is one of each; an ``executemany`` is one round trip and
one execution per row (what ``log_statement = all`` would log). Prepares are not counted (cached)."""

import os
import threading
import time

_DIR = os.environ.get("HUB_BENCH_STATEMENTS")


def _rows(args) -> int:  # noqa: ANN001
    try:
        return len(args)
    except TypeError:  # an iterator: at least one
        return 1


def _install(folder: str) -> None:
    import asyncpg.connection
    import asyncpg.prepared_stmt

    counts = [0, 0]

    def counted(fn, many):  # noqa: ANN001, ANN202
        async def wrapper(self, *args, **kwargs):  # noqa: ANN001, ANN202
            counts[0] += 1
            counts[1] += _rows(args[-1]) if many and args else 1
            return await fn(self, *args, **kwargs)
        return wrapper

    for cls, names in ((asyncpg.connection.Connection, ("execute", "fetch", "fetchval", "fetchrow", "executemany")),
                       (asyncpg.prepared_stmt.PreparedStatement, ("fetch", "fetchval", "fetchrow", "executemany"))):
        for name in names:
            setattr(cls, name, counted(getattr(cls, name), name == "executemany"))

    def dump() -> None:
        while True:
            time.sleep(0.5)
            path = os.path.join(folder, str(os.getpid()))
            with open(path + ".tmp", "w") as f:
                f.write(f"{counts[0]} {counts[1]}")
            os.replace(path + ".tmp", path)

    def start() -> None:
        counts[:] = [0, 0]
        threading.Thread(target=dump, daemon=True, name="bench-statements").start()

    start()
    os.register_at_fork(after_in_child=start)  # the server's worker processes are forked


if _DIR:
    _install(_DIR)
