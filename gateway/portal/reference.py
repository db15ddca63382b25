"""One API version's reference page, rendered from its OpenAPI document: every
operation with its parameters, body, answers, curl and Python examples and a
try-it form, then every schema."""

from __future__ import annotations

import json
from typing import Any

from gateway.portal.html import code_block, esc, inline, table
from gateway.portal.schemas import HINTS, constraints, example, fields_table, type_label
from gateway.portal.snippets import CREDENTIALS, Credential, curl, python, sample_call

METHODS = ("get", "post", "put", "patch", "delete")


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) in path order, reads before writes."""
    found = [(method, path, item[method]) for path, item in document.get("paths", {}).items()
             for method in METHODS if method in item]
    return sorted(found, key=lambda o: (o[1], METHODS.index(o[0])))


def reference_body(key: str, document: dict[str, Any], intro: str) -> str:
    api = key.split("-")[0]
    credential = CREDENTIALS.get(api, CREDENTIALS["storefront"])
    components = document.get("components", {}).get("schemas", {})
    ops = operations(document)
    toc = "".join(f'<li><a href="#op-{esc(op.get("operationId", ""))}"><span class="method {m}">{m.upper()}</span> '
                  f'<code>{esc(p)}</code></a></li>' for m, p, op in ops)
    parts = [intro, _credential_form(credential), f'<h2 id="operations">Operations</h2><ul class="toc">{toc}</ul>']
    parts += [_operation(m, p, op, components, credential) for m, p, op in ops]
    parts.append('<h2 id="schemas">Schemas</h2>')
    parts += [f'<section class="schema" id="schema-{esc(name)}"><h3>{esc(name)}</h3>'
              f'{inline(schema.get("description", ""))}{fields_table(schema)}</section>'
              for name, schema in sorted(components.items())]
    return "\n".join(parts)


def _credential_form(credential: Credential) -> str:
    bearer = credential.header == "Authorization"
    return f"""<section class="credential" aria-labelledby="cred-h">
<h2 id="cred-h">Your credential for try-it</h2>
<p>Paste a sandbox key (or token). It stays in this browser tab and is sent only to this hub.</p>
<form class="cred-row" id="credential-form"><label>Send as <select id="auth-kind">
<option value="X-API-Key"{"" if bearer else " selected"}>X-API-Key header</option>
<option value="Bearer"{" selected" if bearer else ""}>Authorization: Bearer</option></select></label>
<label class="grow">Key or token <input id="auth-secret" type="password" autocomplete="off" spellcheck="false"
placeholder="chub_…"></label></form></section>"""


def _operation(method: str, path: str, op: dict[str, Any], components: dict[str, Any],
               credential: Credential) -> str:
    op_id = esc(op.get("operationId", f"{method}-{path}"))
    head = (f'<section class="op" id="op-{op_id}"><h3><span class="method {method}">{method.upper()}</span> '
            f'<code class="path">{esc(path)}</code>{" <span class=badge>deprecated</span>" if op.get("deprecated") else ""}'
            f'</h3><p class="summary">{inline(op.get("summary", ""))}</p>')
    desc = "".join(f"<p>{inline(p)}</p>" for p in op.get("description", "").split("\n\n") if p.strip())
    call = sample_call(method, path, op, components)
    examples = ('<div class="examples">' + code_block(curl(call, credential), "shell", "curl")
                + code_block(python(call, credential), "python", "Python (httpx)") + "</div>")
    return (head + desc + _parameters(op) + _request_body(op) + _responses(op) + examples
            + _try_it(method, path, op, components) + "</section>")


def _parameters(op: dict[str, Any]) -> str:
    params = op.get("parameters", ())
    if not params:
        return ""
    rows = [(f"<code>{esc(p['name'])}</code>", esc(p["in"]), type_label(p.get("schema", {})),
             "yes" if p.get("required") else "",
             " ".join(filter(None, [inline(p.get("description", "")), constraints(p.get("schema", {}))])))
            for p in params]
    return "<h4>Parameters</h4>" + table(("name", "in", "type", "required", "notes"), rows)


def _request_body(op: dict[str, Any]) -> str:
    content = op.get("requestBody", {}).get("content", {})
    if not content:
        return ""
    media, spec = next(iter(content.items()))
    return f"<h4>Request body</h4><p><code>{esc(media)}</code>: {type_label(spec.get('schema', {}))}</p>"


def _responses(op: dict[str, Any]) -> str:
    rows = []
    for status, answer in op.get("responses", {}).items():
        content = answer.get("content", {})
        kind = ", ".join(f"<code>{esc(media)}</code> {type_label(spec.get('schema', {}))}"
                         for media, spec in content.items())
        rows.append((f'<span class="status s{esc(status)[0]}">{esc(status)}</span>',
                     inline(answer.get("description", "")), kind))
    return "<h4>Responses</h4>" + table(("status", "meaning", "body"), rows)


def _try_it(method: str, path: str, op: dict[str, Any], components: dict[str, Any]) -> str:
    fields = []
    for param in op.get("parameters", ()):
        name = param["name"]
        if name == "Idempotency-Key":
            value, extra = "", ' class="fresh-key"'
        else:
            value = HINTS.get(name, "") if param["in"] == "path" or param.get("required") else ""
            extra = ""
        fields.append(f'<label>{esc(name)} <small>{esc(param["in"])}{", required" if param.get("required") else ""}'
                      f'</small><input name="{esc(name)}" data-in="{esc(param["in"])}" value="{esc(value)}"{extra}'
                      f'{" required" if param.get("required") else ""} autocomplete="off" spellcheck="false"></label>')
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = json.dumps(example(content["application/json"].get("schema", {}), components), indent=2)
        fields.append(f'<label class="wide">JSON body<textarea name="body" data-in="body" rows="8" '
                      f'spellcheck="false">{esc(body)}</textarea></label>')
    return (f'<details class="try"><summary>Try it</summary>'
            f'<form class="try-form" data-method="{method.upper()}" data-path="{esc(path)}">'
            + "".join(fields)
            + '<div class="try-actions"><button type="submit">Send request</button></div>'
            '<div class="try-result" hidden><p class="try-status" role="status"></p>'
            '<h5>Headers</h5><pre class="try-headers"></pre><h5>Body</h5><pre class="try-body"></pre></div>'
            "</form></details>")
