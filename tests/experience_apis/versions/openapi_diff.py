"""Breaking changes between two OpenAPI 3.1 documents of one published API version.

`breaking_changes(old, new)` lists, one line each, what would break a client
written against `old`:

- a removed path or operation;
- a changed success status (an old 2xx/3xx code the operation no longer answers);
- a removed response field, or one no longer always present (dropped from `required`);
- a changed field or parameter type: a response type that may now hold a type it
  did not (e.g. a string becoming an object, or a field becoming nullable), a request
  type that no longer accepts what it did;
- a new required input: a required query/path/header parameter, a required body
  field or a body that becomes required.

Adding a path, an operation, an optional input or a response field is not breaking.
Schemas are compared structurally through `$ref`, `oneOf`/`anyOf`, objects and arrays.
"""

from __future__ import annotations

from typing import Any, Literal

Side = Literal["request", "response"]
METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
Schema = dict[str, Any]


def breaking_changes(old: Schema, new: Schema) -> list[str]:
    found: list[str] = []
    new_paths = new.get("paths", {})
    for path, old_item in old.get("paths", {}).items():
        if path not in new_paths:
            found.append(f"removed path {path}")
            continue
        for method in (m for m in METHODS if m in old_item):
            where = f"{method.upper()} {path}"
            if method not in new_paths[path]:
                found.append(f"removed operation {where}")
            else:
                found += _Diff(old, new).operation(where, old_item[method], new_paths[path][method])
    return found


class _Diff:
    def __init__(self, old_doc: Schema, new_doc: Schema) -> None:
        self.docs = (old_doc, new_doc)
        self.found: list[str] = []
        self.seen: set[tuple[str, str, str]] = set()

    def operation(self, where: str, old: Schema, new: Schema) -> list[str]:
        old_ok, new_ok = _success(old), _success(new)
        if not old_ok <= new_ok:
            self.found.append(f"changed success status of {where}: {sorted(old_ok)} -> {sorted(new_ok)}")
        for status in sorted(old_ok & new_ok):
            self.content(f"{where} {status}", old["responses"][status], new["responses"][status], "response")
        self.parameters(where, old.get("parameters", []), new.get("parameters", []))
        old_body, new_body = old.get("requestBody"), new.get("requestBody")
        if new_body and new_body.get("required") and not (old_body and old_body.get("required")):
            self.found.append(f"new required input: request body of {where}")
        if old_body and new_body:
            self.content(f"{where} body", old_body, new_body, "request")
        return self.found

    def parameters(self, where: str, old: list[Schema], new: list[Schema]) -> None:
        before = {(p["in"], p["name"]): p for p in old}
        for p in new:
            previous = before.get((p["in"], p["name"]))
            if p.get("required") and not (previous and previous.get("required")):
                self.found.append(f"new required input: {p['in']} parameter {p['name']!r} of {where}")
            if previous is not None:
                self.schema(f"{where} {p['in']} parameter {p['name']}", previous.get("schema", {}),
                            p.get("schema", {}), "request")

    def content(self, where: str, old: Schema, new: Schema, side: Side) -> None:
        new_content = new.get("content") or {}
        for media, old_media in (old.get("content") or {}).items():
            if media not in new_content:
                self.found.append(f"removed media type {media} of {where}")
            else:
                self.schema(where, old_media.get("schema", {}), new_content[media].get("schema", {}), side)

    def schema(self, where: str, old: Schema, new: Schema, side: Side) -> None:
        refs = (old.get("$ref", ""), new.get("$ref", ""), side)
        if refs[0] and refs[1]:
            if refs in self.seen:
                return
            self.seen.add(refs)
        old, new = self.resolve(old, 0), self.resolve(new, 1)
        old_types, new_types = self.types(old, 0), self.types(new, 1)
        narrower, wider = (new_types, old_types) if side == "response" else (old_types, new_types)
        if old_types and new_types and not narrower <= wider:
            self.found.append(f"changed type of {where}: {sorted(old_types)} -> {sorted(new_types)}")
            return
        old_obj, new_obj = self.member(old, 0, "object"), self.member(new, 1, "object")
        if old_obj is not None and new_obj is not None:
            self.fields(where, old_obj, new_obj, side)
        old_arr, new_arr = self.member(old, 0, "array"), self.member(new, 1, "array")
        if old_arr is not None and new_arr is not None:
            self.schema(f"{where}[]", old_arr.get("items", {}), new_arr.get("items", {}), side)

    def fields(self, where: str, old: Schema, new: Schema, side: Side) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        old_req, new_req = set(old.get("required", [])), set(new.get("required", []))
        if side == "response":
            for name in old_props.keys() - new_props.keys():
                self.found.append(f"removed field {where}.{name}")
            for name in sorted((old_req - new_req) & new_props.keys()):
                self.found.append(f"field no longer always present: {where}.{name}")
        else:
            for name in sorted(new_req - old_req):
                self.found.append(f"new required input: field {where}.{name}")
        for name in sorted(old_props.keys() & new_props.keys()):
            self.schema(f"{where}.{name}", old_props[name], new_props[name], side)

    def resolve(self, schema: Schema, doc: int) -> Schema:
        while "$ref" in schema:
            node: Any = self.docs[doc]
            for part in schema["$ref"].removeprefix("#/").split("/"):
                node = node[part]
            schema = node
        return schema

    def types(self, schema: Schema, doc: int) -> frozenset[str]:
        schema = self.resolve(schema, doc)
        members = schema.get("oneOf") or schema.get("anyOf")
        if members:
            return frozenset().union(*(self.types(m, doc) for m in members))
        declared = schema.get("type") or ("object" if "properties" in schema else None)
        names = [declared] if isinstance(declared, str) else list(declared or [])
        fmt = schema.get("format")
        return frozenset(f"{t}:{fmt}" if fmt and t != "null" else t for t in names)

    def member(self, schema: Schema, doc: int, kind: str) -> Schema | None:
        """The schema itself, or its one union member, when it is of `kind`."""
        schema = self.resolve(schema, doc)
        members = schema.get("oneOf") or schema.get("anyOf")
        if members:
            found = [m for m in (self.member(m, doc, kind) for m in members) if m is not None]
            return found[0] if len(found) == 1 else None
        return schema if kind in self.types(schema, doc) else None


def _success(operation: Schema) -> set[str]:
    return {status for status in operation.get("responses", {}) if str(status)[:1] in "23"}
