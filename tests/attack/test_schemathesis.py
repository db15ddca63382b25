"""Schemathesis over every OpenAPI document the hub serves (issue 10, defect 11).

A real ``hub serve`` (the whole hub, sandbox backends, SQLite) is spawned on a free
port; the documents are the ones its portal lists at ``/openapi/``, so a document the
hub starts serving (e.g. admin) is covered without touching this file. Every
operation of every document gets generated valid requests with a credential that
holds every scope of its channel: an API key for storefront, a key bound to a
customer for partner, an identity-provider JWT (served by a local JWKS endpoint) for
mobile, the admin key for anything else. Requests come in two runs: valid ones, and
ones that break the document (schemathesis' negative mode). Each answer must be no 5xx,
a documented status, a documented content type, documented headers and a body matching
its schema.

Bounded for CI on a 2-core machine: ``MAX_EXAMPLES`` per operation, derandomized
(the same cases every run), no deadline, no shrinking (the failing case is printed
as a curl command instead).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, response_headers_conformance, response_schema_conformance, status_code_conformance)

from gateway.tokens.jose import public_jwk  # noqa: E402
from tests.e2e.conftest import Process, free_port  # noqa: E402
from tests.gateway.tokens.conftest import AUDIENCE, ISSUER, FakeIdp  # noqa: E402

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = {GenerationMode.POSITIVE: 60, GenerationMode.NEGATIVE: 30}
"""Cases per operation: valid requests, and requests that break the document (each must
be a documented 4xx problem, never a 5xx)."""
ADMIN = "schemathesis-admin-key-0123456789"
CHANNEL_SCOPES = ["catalog:read", "orders:write", "orders:read", "returns:write", "returns:read"]
CUSTOMER = "CUST-ACME"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
KNOWN = {"storefront-v1", "storefront-v2", "mobile-v1", "partner-v1"}


class _Jwks(BaseHTTPRequestHandler):
    body = b""

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def idp() -> Iterator[tuple[FakeIdp, str]]:
    """The identity provider: its keys and a JWKS URL the spawned hub fetches them from."""
    provider = FakeIdp()
    keys = [public_jwk(provider.private[k].public_key(), k, provider.algs[k]) for k in provider.published]
    handler = type("Jwks", (_Jwks,), {"body": json.dumps({"keys": keys}).encode()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield provider, f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory, idp: tuple[FakeIdp, str]) -> Iterator[str]:
    workdir: Path = tmp_path_factory.mktemp("schemathesis")
    env = {"HUB_DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/hub.db", "HUB_BOOTSTRAP_ADMIN_KEY": ADMIN,
           "HUB_JWT_ISSUER": ISSUER, "HUB_JWT_AUDIENCE": AUDIENCE, "HUB_JWT_JWKS_URL": idp[1],
           "HUB_SANDBOX_AUTOSHIP_SECONDS": "0", "HUB_REDIS_URL": "",
           "HUB_AUTH_FAILURES_PER_SOURCE": "1000000/minute"}  # negative cases send bad credentials by design
    process = Process("all", free_port(), env, workdir)
    try:
        process.wait_ready(90)
        yield process.url
    finally:
        process.stop()


def _key(url: str, **fields: Any) -> str:
    body = {"consumer": f"schemathesis-{secrets.token_hex(3)}", "plan": "internal", **fields}
    made = httpx.post(f"{url}/admin/v1/keys", json=body, headers={"X-API-Key": ADMIN}, timeout=10)
    assert made.status_code == 201, made.text
    return made.json()["key"]


def credentials(url: str, provider: FakeIdp) -> dict[str, dict[str, str]]:
    """Headers per API: a credential with every scope of that channel."""
    token = provider.token("rsa-1", customer_id=CUSTOMER, scope=" ".join(CHANNEL_SCOPES), exp=int(time.time()) + 3600)
    return {
        "storefront": {"X-API-Key": _key(url, scopes=[*CHANNEL_SCOPES, "customers:any"])},
        "partner": {"X-API-Key": _key(url, scopes=CHANNEL_SCOPES, customer=CUSTOMER)},
        "mobile": {"Authorization": f"Bearer {token}"},
    }


def served_documents(url: str) -> dict[str, dict]:
    index = httpx.get(f"{url}/openapi/", timeout=10)
    assert index.status_code == 200, index.text
    documents = {}
    for entry in index.json()["documents"]:
        response = httpx.get(url + entry["url"], timeout=10)
        assert response.status_code == 200, response.text
        documents[entry["name"]] = response.json()
    return documents


def fuzz(document: dict, url: str, headers: dict[str, str], mode: GenerationMode) -> list[str]:
    """Every operation of `document` against the hub; one line per operation that failed."""
    schema = schemathesis.openapi.from_dict(document)
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=MAX_EXAMPLES[mode], derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            response = case.call(base_url=url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every failure, run every operation
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:3000]}")
    return failures


@pytest.mark.parametrize("mode", list(MAX_EXAMPLES), ids=lambda mode: mode.value)
def test_every_served_document_matches_what_the_hub_answers(
        hub_url: str, idp: tuple[FakeIdp, str], mode: GenerationMode) -> None:
    documents = served_documents(hub_url)
    assert KNOWN <= documents.keys(), sorted(documents)
    headers = credentials(hub_url, idp[0])
    failures: list[str] = []
    for name, document in sorted(documents.items()):
        credential = headers.get(name.split("-")[0], {"X-API-Key": ADMIN})
        failures += [f"[{name}] {line}" for line in fuzz(document, hub_url, credential, mode)]
    assert not failures, "\n\n".join(failures)
