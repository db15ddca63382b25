"""Reading an OpenAPI document's JSON schemas: a type as a short label, an object's
fields as a table, and an example value to prefill a request with."""

from __future__ import annotations

from typing import Any

from gateway.portal.html import esc, inline, table

REF = "#/components/schemas/"
HINTS: dict[str, Any] = {
    "sku": "SKU-1001", "customer_id": "CUST-ACME", "quantity": 1, "currency": "USD", "unit_price": "99.00",
    "order_id": "ord_…", "rma_id": "rma_…", "po_number": "PO-1001", "channel_order_ref": "WEB-5531",
    "reason": "not_needed", "country": "US", "name": "Acme Receiving", "line1": "1 Main St",
    "city": "Springfield", "region": "IL", "postal_code": "62701", "method": "card",
    "authorization_id": "pay_auth_123", "amount": "198.00", "consumer": "web-shop", "key_id": "key_…",
    "letter_id": "1", "limit": 50, "result": "restock",
}
"""Example values by field name, from the sandbox's seed data (the README's walkthrough)."""


def ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.removeprefix(REF) if isinstance(ref, str) and ref.startswith(REF) else None


def type_label(schema: dict[str, Any]) -> str:
    """Escaped HTML: ``string``, ``array of <a>LineIn</a>``, ``integer | null``..."""
    name = ref_name(schema)
    if name:
        return f'<a href="#schema-{esc(name)}">{esc(name)}</a>'
    for combiner in ("oneOf", "anyOf"):
        if combiner in schema:
            return " | ".join(type_label(s) for s in schema[combiner])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        return " | ".join(esc(k) for k in kind)
    if kind == "array":
        return "array of " + type_label(schema.get("items", {}))
    label = esc(kind) + (f" ({esc(schema['format'])})" if "format" in schema else "")
    if "enum" in schema:
        label += ": " + ", ".join(f"<code>{esc(v)}</code>" for v in schema["enum"])
    return label


def constraints(schema: dict[str, Any]) -> str:
    words = []
    for key, word in (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
                      ("maximum", "max"), ("minItems", "min items"), ("maxItems", "max items"),
                      ("pattern", "pattern"), ("default", "default")):
        if key in schema:
            value = schema[key]
            value = int(value) if isinstance(value, float) and value.is_integer() else value
            words.append(f"{word} <code>{esc(value)}</code>")
    return ", ".join(words)


def fields_table(schema: dict[str, Any]) -> str:
    """An object schema's properties: name, type, required, description and limits."""
    required = set(schema.get("required", ()))
    rows = [(f"<code>{esc(name)}</code>", type_label(prop), "yes" if name in required else "",
             " ".join(filter(None, [inline(prop.get("description", "")), constraints(prop)])))
            for name, prop in schema.get("properties", {}).items()]
    if not rows:
        return f"<p>{type_label(schema)}</p>"
    return table(("field", "type", "required", "notes"), rows)


def example(schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """A plausible value: the field's hint, else its default, enum or type; objects with
    their required fields; `depth` stops recursive schemas."""
    if name in HINTS and "$ref" not in schema and schema.get("type") not in ("object", "array"):
        return HINTS[name]
    target = ref_name(schema)
    if target:
        return example(components.get(target, {}), components, name, depth + 1) if depth < 6 else {}
    for combiner in ("oneOf", "anyOf"):
        options = [s for s in schema.get(combiner, ()) if s.get("type") != "null"]
        if options:
            return example(options[0], components, name, depth + 1)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", ())
        return {key: example(prop, components, key, depth + 1)
                for key, prop in schema.get("properties", {}).items() if key in required}
    if kind == "array":
        return [example(schema.get("items", {}), components, name, depth + 1)]
    return {"integer": 1, "number": 1, "boolean": True}.get(str(kind), "string")
