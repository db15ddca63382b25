"""The `hub` command: serve a role, manage keys and dead letters, migrate the database.

Dead-letter commands act as ``cli:<user>`` in the audit log.

Every command reads the same settings (environment, then ``hub.toml``); a
wrong setting ends the command with one line naming it and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
from pathlib import Path
from typing import Any, Awaitable, Callable

import msgspec

from commerce_hub.webhook_receiver import add_parser as add_webhook_receiver
from shared.settings import ROLES, Settings, SettingsError, load_settings

_DURATION = re.compile(r"^(\d+)([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings(host=getattr(args, "host", None), port=getattr(args, "port", None))
        return args.run(settings, args)
    except SettingsError as exc:
        print(f"hub: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hub", description="Commerce Hub: API gateway and integration hub.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the hub (one process by default, or one role)")
    serve.add_argument("--role", choices=ROLES, default=os.environ.get("HUB_ROLE", "all"))
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, help="server processes for this role (default HUB_WORKERS or 1)")
    serve.set_defaults(run=_serve)

    add_webhook_receiver(sub)

    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply all migrations").set_defaults(run=_db_upgrade)

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="keys_command", required=True)
    create = keys.add_parser("create", help="make a key; prints its secret once")
    create.add_argument("--consumer", required=True)
    create.add_argument("--scope", action="append", required=True, dest="scopes")
    create.add_argument("--plan")
    create.add_argument("--customer")
    create.add_argument("--expires-in", type=_duration, help="e.g. 3600s, 90m, 12h, 30d")
    create.add_argument("--json", action="store_true")
    create.set_defaults(run=_keys(_create_key))
    listing = keys.add_parser("list", help="list keys (never secrets)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(run=_keys(lambda svc, a: svc.list()))
    revoke = keys.add_parser("revoke", help="revoke a key")
    revoke.add_argument("id")
    revoke.add_argument("--json", action="store_true")
    revoke.set_defaults(run=_keys(lambda svc, a: svc.revoke(a.id)))
    rotate = keys.add_parser("rotate", help="new secret; the old one works for --grace seconds")
    rotate.add_argument("id")
    rotate.add_argument("--grace", type=int, default=3600)
    rotate.add_argument("--json", action="store_true")
    rotate.set_defaults(run=_keys(lambda svc, a: svc.rotate(a.id, a.grace)))

    _cluster_parser(sub)
    dlq = sub.add_parser("dlq", help="the dead-letter queue").add_subparsers(dest="dlq_command", required=True)
    dlq_list = dlq.add_parser("list", help="dead letters, newest first")
    dlq_list.add_argument("--limit", type=_page_size, default=50, help="1 to 200 (default 50)")
    dlq_list.add_argument("--cursor", help="next_cursor of the previous page")
    _dlq_filters(dlq_list)
    dlq_list.add_argument("--status", choices=("open", "replayed", "resolved"))
    dlq_list.add_argument("--json", action="store_true")
    dlq_list.set_defaults(run=_dlq(lambda svc, a: svc.list(a.limit, a.cursor, where=_dlq_filter(a, a.status))))
    dlq_replay = dlq.add_parser("replay", help="put dead letters' messages back in the outbox (each once): "
                                "one by ID, those matching the filters, or --all")
    dlq_replay.add_argument("id", nargs="?")
    _dlq_filters(dlq_replay)
    dlq_replay.add_argument("--all", action="store_true", help="every open dead letter (no filter needed)")
    dlq_replay.add_argument("--dry-run", action="store_true", help="only count the open letters that match")
    dlq_replay.add_argument("--limit", type=int, help="at most this many, oldest first")
    dlq_replay.add_argument("--json", action="store_true")
    dlq_replay.set_defaults(run=_dlq(_replay))
    dlq_resolve = dlq.add_parser("resolve", help="close an open dead letter without a replay")
    dlq_resolve.add_argument("id")
    dlq_resolve.add_argument("--note", required=True, help="why (1 to 1000 characters)")
    dlq_resolve.add_argument("--json", action="store_true")
    dlq_resolve.set_defaults(run=_dlq(lambda svc, a: svc.resolve(a.id, _note(a.note), _cli_actor())))
    return parser


def _cluster_parser(sub: Any) -> None:
    cluster = sub.add_parser("cluster", help="the split roles as local processes behind haproxy (docs/deployment.md)")
    commands = cluster.add_subparsers(dest="cluster_command", required=True)
    up = commands.add_parser("up", help="start the roles on PostgreSQL + Redis, two gateways behind haproxy")
    up.add_argument("--base-port", type=int, default=8100, help="the load balancer's port; roles take the next 8")
    up.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for every role to be ready")
    up.add_argument("--lifetime", type=float, default=3600.0, help="seconds after which it stops itself (0: never)")
    for name, run in (("up", _cluster_up), ("down", _cluster_down), ("status", _cluster_status),
                      ("restart", _cluster_restart)):
        parser = up if name == "up" else commands.add_parser(name, help=_CLUSTER_HELP[name])
        parser.add_argument("--run-dir", type=Path, default=Path("var/cluster"), help="pids, logs (default var/cluster)")
        parser.set_defaults(run=run)
    commands.choices["down"].add_argument("--after", type=float, default=0.0, help=argparse.SUPPRESS)
    commands.choices["status"].add_argument("--json", action="store_true")
    commands.choices["restart"].add_argument("name", help="the member, e.g. worker-1 or gateway-2")
    commands.choices["restart"].add_argument("--timeout", type=float, default=90.0, help="seconds to wait until ready")


_CLUSTER_HELP = {"down": "stop every process of the local cluster and remove its run directory",
                 "restart": "SIGKILL one member of the local cluster (if it runs) and start it again, as up did",
                 "status": "each process of the local cluster: pid, URL, ready or not (exit 0: all ready)"}


def _cluster_up(settings: Settings, args: argparse.Namespace, run: Any = None) -> int:
    from commerce_hub.cluster import ClusterError, up

    try:
        return run() if run else up(settings, args.run_dir, args.base_port, args.timeout, args.lifetime)
    except ClusterError as exc:
        print(f"hub: cluster: {exc}", file=sys.stderr)
        return 1


def _cluster_down(settings: Settings, args: argparse.Namespace) -> int:
    from commerce_hub.cluster import down

    return down(args.run_dir, args.after)


def _cluster_restart(settings: Settings, args: argparse.Namespace) -> int:
    from commerce_hub.cluster import restart

    return _cluster_up(settings, args, lambda: restart(args.run_dir, args.name, args.timeout))  # its errors too


def _cluster_status(settings: Settings, args: argparse.Namespace) -> int:
    from commerce_hub.cluster import status

    return status(args.run_dir, args.json)


def _duration(text: str) -> int:
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError("use a number and a unit: 3600s, 90m, 12h, 30d")
    return int(match.group(1)) * _UNITS[match.group(2)]


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from commerce_hub.preflight import preflight

    preflight(settings, args.role)
    os.environ.update({"HUB_ROLE": args.role, "HUB_HOST": settings.host, "HUB_PORT": str(settings.port)})
    from commerce_hub.server import serve

    workers = args.workers or settings.workers
    if workers > 1:
        # prometheus_client reads it when first imported: set before any worker imports it
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir(args.role, settings.port)
    print(f"hub: serving role {args.role} on http://{settings.host}:{settings.port} ({workers} worker(s))", flush=True)
    serve(settings, workers)
    return 0


def _metrics_dir(role: str, port: int) -> str:
    """A per-role directory where each worker writes its metrics (prometheus_client's
    multiprocess mode), emptied at start: figures of a previous run never add up."""
    import shutil
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"commerce-hub-metrics-{os.getuid()}", f"{role}-{port}")
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, mode=0o700)
    return path


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from commerce_hub.preflight import migrate

    migrate(settings)
    print("hub: database is at the latest schema")
    return 0


def _keys(action: Callable[[Any, argparse.Namespace], Awaitable[Any]]) -> Callable[[Settings, argparse.Namespace], int]:
    def run(settings: Settings, args: argparse.Namespace) -> int:
        from commerce_hub.preflight import migrate

        migrate(settings)
        result = asyncio.run(_with_key_service(settings, lambda svc: action(svc, args)))
        if isinstance(result, list):
            result = {"items": result}
        print(msgspec.json.encode(result).decode() if args.json else _human(result))
        return 0

    return run


async def _create_key(svc: Any, args: argparse.Namespace) -> Any:
    from gateway.keys.schemas import KeyCreate

    try:
        spec = msgspec.convert(
            {"consumer": args.consumer, "scopes": args.scopes, "plan": args.plan,
             "customer": args.customer, "expires_in_seconds": args.expires_in},
            KeyCreate,
        )
    except msgspec.ValidationError as exc:
        raise SystemExit(f"hub: {exc}") from None
    return await svc.create(spec)


async def _with_key_service(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    from gateway.keys.repository import KeyRepository
    from gateway.keys.service import KeyService
    from shared.db.engine import create_engine, dispose
    from shared.errors import HubError

    engine = create_engine(settings.database_url)
    try:
        return await fn(KeyService(KeyRepository(engine), lambda: set(settings.plans), settings.default_plan))
    except HubError as exc:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors or []) or exc.detail
        raise SystemExit(f"hub: {detail}") from None
    finally:
        await dispose(engine)


def _page_size(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 200:
        raise argparse.ArgumentTypeError("a number from 1 to 200")
    return int(text)


def _dlq(action: Callable[[Any, argparse.Namespace], Awaitable[Any]]) -> Callable[[Settings, argparse.Namespace], int]:
    """A dead-letter command, straight on the database. A replay wakes no worker: the running
    workers find the new outbox row when they next poll."""

    def run(settings: Settings, args: argparse.Namespace) -> int:
        from commerce_hub.preflight import migrate

        migrate(settings)
        result = asyncio.run(_with_dead_letters(settings, lambda svc: action(svc, args)))
        if args.json:
            print(msgspec.json.encode(result).decode())
        elif hasattr(result, "items"):
            print("\n".join(_letter(d) for d in result.items) or "(none)")
            if result.next_cursor:
                print(f"more: --cursor {result.next_cursor}")
        elif hasattr(result, "matched"):
            print(_bulk(result))
        elif hasattr(result, "note"):
            print(_letter(result))
        else:
            print(_replayed(result))
        return 0

    return run


def _dlq_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--flow", help="a flow: order_capture, erp_posting, wms_release, ...")
    parser.add_argument("--topic")
    parser.add_argument("--backend", help="erp, wms, pos, payments, shopify")
    parser.add_argument("--code", help="the error code, e.g. backend_unavailable")
    parser.add_argument("--since", help="RFC 3339, e.g. 2026-11-22T10:00:00Z (dead_at, inclusive)")
    parser.add_argument("--until", help="RFC 3339 (dead_at, exclusive)")


def _dlq_filter(args: argparse.Namespace, status: str | None = None) -> Any:
    from shared.messaging.dead_letter_filter import parse_filter

    return parse_filter({"flow": args.flow, "topic": args.topic, "backend": args.backend, "code": args.code,
                         "since": args.since, "until": args.until, "status": status})


def _cli_actor() -> Any:
    import getpass

    from shared.ops.audit import Actor

    return Actor(consumer=f"cli:{getpass.getuser()}"[:200])


def _note(text: str) -> str:
    if not 1 <= len(text) <= 1000:
        raise SystemExit("hub: --note: 1 to 1000 characters")
    return text


async def _replay(svc: Any, args: argparse.Namespace) -> Any:
    where = _dlq_filter(args)
    if args.id is not None:
        if not where.is_empty() or args.all or args.dry_run or args.limit is not None:
            raise SystemExit("hub: give either a dead letter ID or filters (--all, --flow, ...), not both")
        return await svc.replay(args.id, _cli_actor())
    if where.is_empty() and not args.all:
        raise SystemExit("hub: name a dead letter ID, filters (--flow, --backend, ...) or --all")
    if args.limit is not None and args.limit < 1:
        raise SystemExit("hub: --limit: 1 or more")
    return await svc.replay_matching(where, dry_run=args.dry_run, limit=args.limit, actor=_cli_actor())


def _letter(d: Any) -> str:
    line = f"{d.id}  {d.topic}  key={d.key}  attempts={d.attempts}  dead_at={d.dead_at:%Y-%m-%dT%H:%M:%SZ}"
    line += f"  {d.status}" if d.status != "open" else ""
    line += f"  backend={d.backend}" if d.backend else ""
    line += f"  {d.reason}"
    return line + (f"  (resolved by {d.resolved_by}: {d.note})" if d.status == "resolved" else "")


def _bulk(result: Any) -> str:
    if result.dry_run:
        return f"dry run: {result.matched} open dead letter(s) match; nothing replayed"
    line = f"matched {result.matched}, replayed {result.replayed}, skipped {result.skipped} (taken meanwhile)"
    for c in result.circuits:
        line += f"; {c.backend} circuit {c.circuit}"
        line += f" (its messages wait until {c.retry_at:%Y-%m-%dT%H:%M:%SZ})" if c.retry_at is not None else ""
    return line


def _replayed(result: Any) -> str:
    line = f"{result.id}: {result.status}"
    if result.backend:
        line += f"; {result.backend} circuit {result.backend_circuit}"
        if result.retry_at is not None:
            line += f", the message waits until {result.retry_at:%Y-%m-%dT%H:%M:%SZ} when it may probe"
    return line


async def _with_dead_letters(settings: Settings, fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """The dead-letter service on the database; the circuits are read from the system role
    (``HUB_SYSTEM_URL``) when set, else a replay reports them ``unknown``."""
    import httpx

    from shared.db.engine import create_engine, dispose
    from shared.errors import HubError
    from shared.messaging.dead_letters import DeadLetterService
    from shared.resilience.circuits import CircuitPort
    from shared.rpc import rpc_client

    engine = create_engine(settings.database_url)
    http = httpx.AsyncClient(base_url=settings.system_url or "http://unused", timeout=httpx.Timeout(5.0))
    circuits = rpc_client(CircuitPort, "circuits", http) if settings.system_url else None
    try:
        from process_apis.ops.catalog import FLOW_TOPICS

        return await fn(DeadLetterService(engine, circuits=circuits, flows=FLOW_TOPICS))
    except HubError as exc:
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors or []) or exc.detail
        raise SystemExit(f"hub: {detail}") from None
    finally:
        await http.aclose()
        await dispose(engine)


def _human(result: Any) -> str:
    data = msgspec.to_builtins(result)
    rows = data["items"] if isinstance(data, dict) and "items" in data else [data]
    return "\n".join("  ".join(f"{k}={v}" for k, v in row.items() if v is not None) for row in rows) or "(none)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
