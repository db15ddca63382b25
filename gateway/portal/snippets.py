"""Copyable examples of one operation: curl and Python (httpx), with the sandbox's
seed values, the channel's credential read from the environment, and the hub's
origin (the page's script puts in the origin it was loaded from)."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from gateway.portal.html import esc
from gateway.portal.schemas import HINTS, example

ORIGIN = "http://localhost:8080"
_ORIGIN_HTML = f'<span class="origin">{ORIGIN}</span>'


class Credential(msgspec.Struct, frozen=True):
    header: str
    """``X-API-Key`` or ``Authorization`` (a bearer token)."""
    env: str
    """The environment variable the examples read the secret from."""


CREDENTIALS = {
    "storefront": Credential("X-API-Key", "HUB_KEY"),
    "partner": Credential("X-API-Key", "HUB_KEY"),
    "mobile": Credential("Authorization", "HUB_TOKEN"),
    "admin": Credential("X-API-Key", "HUB_ADMIN_KEY"),
}


class Call(msgspec.Struct, frozen=True):
    method: str
    path: str
    """With the path parameters filled in."""
    query: dict[str, Any]
    headers: dict[str, str]
    body: Any = None


def sample_call(method: str, path: str, operation: dict[str, Any], components: dict[str, Any]) -> Call:
    """The operation called with example values for its required parameters and body."""
    query, headers = {}, {}
    for param in operation.get("parameters", ()):
        value = HINTS.get(param["name"], example(param.get("schema", {}), components, param["name"]))
        if param["in"] == "path":
            path = path.replace("{" + param["name"] + "}", str(value))
        elif param["name"] == "Idempotency-Key":
            headers[param["name"]] = "checkout-5531"
        elif param.get("required") and param["in"] == "query":
            query[param["name"]] = value
        elif param.get("required") and param["in"] == "header":
            headers[param["name"]] = str(value)
    body = None
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = example(content["application/json"].get("schema", {}), components)
    return Call(method=method.upper(), path=path, query=query, headers=headers, body=body)


def _url(call: Call) -> str:
    query = "&".join(f"{k}={v}" for k, v in call.query.items())
    return call.path + (f"?{query}" if query else "")


def curl(call: Call, credential: Credential) -> str:
    """Escaped HTML of a curl command."""
    auth = (f"X-API-Key: ${credential.env}" if credential.header == "X-API-Key"
            else f"Authorization: Bearer ${credential.env}")
    lines = [f'curl -s{"" if call.method == "GET" else " -X " + call.method} "{{ORIGIN}}{_url(call)}"',
             f'  -H "{auth}"']
    lines += [f"  -H '{name}: {value}'" for name, value in call.headers.items()]
    if call.body is not None:
        lines += ["  -H 'Content-Type: application/json'",
                  "  -d '" + json.dumps(call.body, ensure_ascii=False) + "'"]
    return esc(" \\\n".join(lines)).replace("{ORIGIN}", _ORIGIN_HTML)


def python(call: Call, credential: Credential) -> str:
    """Escaped HTML of the same call with httpx."""
    auth = (f'{{"X-API-Key": os.environ["{credential.env}"]}}' if credential.header == "X-API-Key"
            else f'{{"Authorization": "Bearer " + os.environ["{credential.env}"]}}')
    args = [repr(call.path)]
    if call.query:
        args.append(f"params={call.query!r}")
    if call.headers:
        args.append(f"headers={call.headers!r}")
    if call.body is not None:
        args.append(f"json={call.body!r}")
    text = "\n".join([
        "import os", "", "import httpx", "",
        f'hub = httpx.Client(base_url="{{ORIGIN}}",', f"                   headers={auth})",
        f"response = hub.{call.method.lower()}({', '.join(args)})",
        "print(response.status_code, response.json())",
    ])
    return esc(text).replace("{ORIGIN}", _ORIGIN_HTML)
