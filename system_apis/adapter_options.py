"""A connection's ``options``: the vendor parameters its adapters take, checked per kind.

An adapter's constructor is ``Adapter(http: VendorHttp, *, <option>=<default>, ...)``:
its keyword-only parameters are the options a connection of its kind may set in
hub.toml (``[connections.<name>.options]``), typed by their annotations, so a
vendor package declares its options once, in its constructor. A kind's
``credential_option`` (a credential that travels inside each call, such as the
legacy ERP's WS-Security password) is fed from the connection's credential, never
from options; no option may carry a secret.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable, Mapping
from typing import Any

import msgspec

from system_apis.registry import VendorKind
from system_apis.vendor_http import VendorHttp

SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey", "credential")


def adapter_options(factory: Callable[..., object]) -> dict[str, Any]:
    """The options one adapter takes: its keyword-only parameters and their types."""
    hints = typing.get_type_hints(factory.__init__ if inspect.isclass(factory) else factory)
    return {name: hints.get(name, Any) for name, param in inspect.signature(factory).parameters.items()
            if param.kind is param.KEYWORD_ONLY}


def option_types(kind: VendorKind) -> dict[str, Any]:
    """Every option a connection of ``kind`` may set (the union over its adapters), bar its credential's."""
    found: dict[str, Any] = {}
    for factory in kind.adapters.values():
        found |= adapter_options(factory)
    found.pop(kind.credential_option or "", None)
    return found


def check_options(where: str, kind: VendorKind, raw: Mapping[str, Any], error: type[Exception]) -> dict[str, Any]:
    """``raw`` (hub.toml's table) converted to the adapters' types; ``error`` (one line) on a mistake."""
    allowed = option_types(kind)
    checked: dict[str, Any] = {}
    for name, value in raw.items():
        if name == kind.credential_option or any(word in name.lower() for word in SECRET_WORDS):
            raise error(f"{where}.options.{name}: a secret never goes in options; "
                        "name credential_env or credential_file instead")
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise error(f"{where}.options.{name}: unknown option for a {kind.name} connection; known: {known}")
        try:
            checked[name] = msgspec.convert(value, allowed[name], strict=False)
        except msgspec.ValidationError as exc:
            raise error(f"{where}.options.{name}: {str(exc).split(' - at ')[0]}") from None
    return checked


def make_adapters(kind: VendorKind, http: VendorHttp, options: Mapping[str, Any] | None = None,
                  credential: str = "") -> dict[str, object]:
    """The adapter of each role ``kind`` serves over ``http``, each given the options it takes."""
    given = dict(options or {})
    if kind.credential_option and credential:
        given[kind.credential_option] = credential
    made: dict[str, object] = {}
    for role, factory in kind.adapters.items():
        takes = adapter_options(factory)
        made[role] = factory(http, **{name: value for name, value in given.items() if name in takes})
    return made
