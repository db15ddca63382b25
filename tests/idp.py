"""A stand-in identity provider for tests: its keys, the tokens it signs, and its JWKS
served through httpx.MockTransport (``FakeIdp.handler``) or over real HTTP on a free
loopback port (``JwksServer``), as a hub configured with ``HUB_JWT_*`` fetches it."""

from __future__ import annotations

import asyncio
import functools
import json
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from gateway.tokens.jose import public_jwk

ISSUER, AUDIENCE, JWKS_URL = "https://idp.example/", "commerce-hub-mobile", "https://idp.example/.well-known/jwks.json"
JWKS_PATH = "/.well-known/jwks.json"


@functools.cache
def _provider_keys() -> tuple[tuple[str, Any], ...]:
    """The provider's two signing keys, made once per test run (an RSA key takes a while)."""
    return ("rsa-1", rsa.generate_private_key(65537, 2048)), ("ec-1", ec.generate_private_key(ec.SECP256R1()))


class FakeIdp:
    """An identity provider: its keys, the JWKS it publishes, and a count of fetches."""

    def __init__(self) -> None:
        self.private = dict(_provider_keys())
        self.algs = {"rsa-1": "RS256", "ec-1": "ES256"}
        self.published = ["rsa-1", "ec-1"]
        self.fetches = 0
        self.failing = False
        self.cache_control = "public, max-age=300"
        self.delay = 0.0

    def add_key(self, kid: str) -> None:
        self.private[kid], self.algs[kid] = ec.generate_private_key(ec.SECP256R1()), "ES256"
        self.published.append(kid)

    async def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        await asyncio.sleep(self.delay)
        if self.failing:
            return httpx.Response(503)
        keys = [public_jwk(self.private[k].public_key(), k, self.algs[k]) for k in self.published]
        return httpx.Response(200, json={"keys": keys}, headers={"cache-control": self.cache_control})

    def token(self, kid: str = "rsa-1", *, alg: str | None = None, key: Any = None, **claims: Any) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "user-42", "scope": "catalog:read orders:read",
                "iat": now, "nbf": now, "exp": now + 300, **claims}
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, key or self.private[kid], algorithm=alg or self.algs[kid], headers={"kid": kid})


class JwksServer:
    """The provider's JWKS endpoint: a real HTTP/1.1 server on a free port, counting fetches."""

    def __init__(self, idp: FakeIdp) -> None:
        self.idp = idp
        self.fetches = 0
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> "JwksServer":
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}{JWKS_PATH}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readuntil(b"\r\n\r\n")).split(b"\r\n", 1)[0]
            if request_line.split(b" ")[1] != JWKS_PATH.encode():
                writer.write(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            else:
                self.fetches += 1
                keys = [public_jwk(self.idp.private[k].public_key(), k, self.idp.algs[k]) for k in self.idp.published]
                body = json.dumps({"keys": keys}).encode()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: max-age=300\r\n"
                             b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body))
            await writer.drain()
        finally:
            writer.close()

    def settings(self) -> dict[str, str]:
        """The hub settings that make it trust this provider."""
        return {"jwt_issuer": ISSUER, "jwt_audience": AUDIENCE, "jwt_jwks_url": self.url}


class ThreadedJwks:
    """The provider's JWKS for hub *processes* (split roles): a plain HTTP server in a thread,
    so it answers whatever event loop the test runs, for the whole module."""

    def __init__(self, idp: FakeIdp) -> None:
        import http.server
        import threading

        body = json.dumps({"keys": [public_jwk(idp.private[k].public_key(), k, idp.algs[k])
                                    for k in idp.published]}).encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self.send_response(200 if self.path == JWKS_PATH else 404)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}{JWKS_PATH}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def env(self) -> dict[str, str]:
        return {"HUB_JWT_ISSUER": ISSUER, "HUB_JWT_AUDIENCE": AUDIENCE, "HUB_JWT_JWKS_URL": self.url}

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
