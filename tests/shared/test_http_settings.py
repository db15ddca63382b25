"""The HTTP transport timeouts (HUB_HTTP_*): validated, and handed to the server (uvicorn and the hub's
protocol, commerce_hub/server.py) as it takes them."""

from __future__ import annotations

import pytest
from commerce_hub.server import HubProtocol, config
from tests.shared.test_settings import error_for, load


def test_the_defaults_bound_every_wait() -> None:
    s = load({})
    assert (s.http_header_timeout_seconds, s.http_keepalive_seconds, s.http_body_timeout_seconds) == (10.0, 5.0, 30.0)


@pytest.mark.parametrize(("env", "setting"), [
    ({"HUB_HTTP_HEADER_TIMEOUT_SECONDS": "0"}, "HUB_HTTP_HEADER_TIMEOUT_SECONDS"),
    ({"HUB_HTTP_HEADER_TIMEOUT_SECONDS": "61"}, "HUB_HTTP_HEADER_TIMEOUT_SECONDS"),
    ({"HUB_HTTP_HEADER_TIMEOUT_SECONDS": "soon"}, "HUB_HTTP_HEADER_TIMEOUT_SECONDS"),
    ({"HUB_HTTP_KEEPALIVE_SECONDS": "-1"}, "HUB_HTTP_KEEPALIVE_SECONDS"),
    ({"HUB_HTTP_KEEPALIVE_SECONDS": "120"}, "HUB_HTTP_KEEPALIVE_SECONDS"),
    ({"HUB_HTTP_BODY_TIMEOUT_SECONDS": "0"}, "HUB_HTTP_BODY_TIMEOUT_SECONDS"),
    ({"HUB_HTTP_BODY_TIMEOUT_SECONDS": "1e9"}, "HUB_HTTP_BODY_TIMEOUT_SECONDS"),
])
def test_a_wrong_timeout_is_one_line_naming_it(env: dict[str, str], setting: str) -> None:
    assert error_for(env).startswith(f"{setting}:")


@pytest.mark.parametrize(("header", "keepalive"), [("10", "5"), ("2", "30"), ("10", "0"), ("1", "0.5")])
def test_the_server_gets_both_timers_as_set(header: str, keepalive: str) -> None:
    s = load({"HUB_HTTP_HEADER_TIMEOUT_SECONDS": header, "HUB_HTTP_KEEPALIVE_SECONDS": keepalive})
    cfg = config(s, workers=1)
    assert (cfg.header_timeout, cfg.timeout_keep_alive) == (float(header), float(keepalive))
    assert cfg.http is HubProtocol and cfg.lifespan == "on" and not cfg.proxy_headers and not cfg.access_log
