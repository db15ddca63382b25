"""``hub webhooks receive``: a partner's webhook endpoint on this machine, for trying the hub.

It listens on 127.0.0.1, verifies every delivery as a partner must (Standard Webhooks:
the ``webhook-signature`` over ``{id}.{timestamp}.{body}`` with the subscription's
``whsec_`` secret, a timestamp within five minutes), answers 204 to a verified one and
401 to anything else, and prints one JSON line per verified delivery on stdout::

    {"webhook_id": "msg_…", "type": "shipment.created", "redelivery": false, "data": {...}}

``--until TYPE`` (repeatable) ends it, status 0, once a verified delivery of every named
type has arrived; ``--timeout`` bounds the wait (status 1 when it runs out first; without
``--until`` it simply ends then, status 0). A delivery
that arrives twice (at least once) is printed again with ``"redelivery": true``.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from system_apis.webhooks.signing import verify

TOLERANCE_SECONDS = 300


def add_parser(sub: Any) -> None:
    webhooks = sub.add_parser("webhooks", help="partner webhooks").add_subparsers(dest="webhooks_command",
                                                                                   required=True)
    receive = webhooks.add_parser("receive", help="a local endpoint that verifies and prints deliveries")
    receive.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    receive.add_argument("--secret", required=True, action="append", dest="secrets",
                         help="the subscription's whsec_ secret (repeat during a rotation)")
    receive.add_argument("--until", action="append", default=[], metavar="TYPE",
                         help="stop once a delivery of this event type arrived (repeatable)")
    receive.add_argument("--timeout", type=float, default=0, help="give up after this many seconds (0: never)")
    receive.set_defaults(run=lambda _settings, args: receive_deliveries(args))


def receive_deliveries(args: argparse.Namespace) -> int:
    waiting = set(args.until)
    seen: set[str] = set()
    done = threading.Event()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            if not verify(tuple(args.secrets), headers, body, now=time.time(), tolerance=TOLERANCE_SECONDS):
                self.send_response(401)
                self.end_headers()
                print(json.dumps({"refused": headers.get("webhook-id"), "why": "signature"}), file=sys.stderr)
                return
            self.send_response(204)
            self.end_headers()
            envelope = json.loads(body)
            with lock:
                webhook_id = headers["webhook-id"]
                line = {"webhook_id": webhook_id, "type": envelope.get("type"),
                        "redelivery": webhook_id in seen, "data": envelope.get("data")}
                seen.add(webhook_id)
                print(json.dumps(line), flush=True)
                waiting.discard(envelope.get("type"))
                if args.until and not waiting:
                    done.set()

        def log_message(self, *_: object) -> None:  # quiet: stdout carries only deliveries
            return

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"hub: receiving webhooks on http://127.0.0.1:{args.port}/", file=sys.stderr, flush=True)
    try:
        finished = done.wait(args.timeout or None)
    except KeyboardInterrupt:
        finished = True
    finally:
        server.shutdown()
        server.server_close()
    if not finished and args.until:
        print(f"hub: still waiting for {', '.join(sorted(waiting))} after {args.timeout:g} s", file=sys.stderr)
        return 1
    return 0
