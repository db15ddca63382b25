"""The HTTP transport timeouts (HUB_HTTP_*): validated, and handed to granian as it takes them."""

from __future__ import annotations

import pytest
from granian.http import HTTP1Settings

from commerce_hub.cli import _http1
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


@pytest.mark.parametrize(("header", "keepalive", "timer_ms", "keep_alive"), [
    ("10", "5", 5000, True), ("2", "30", 2000, True), ("10", "0", 10000, False), ("1", "0.5", 1000, True)])
def test_granian_runs_the_smaller_timer_and_no_keep_alive_at_0(header: str, keepalive: str, timer_ms: int,
                                                               keep_alive: bool) -> None:
    s = load({"HUB_HTTP_HEADER_TIMEOUT_SECONDS": header, "HUB_HTTP_KEEPALIVE_SECONDS": keepalive})
    http1 = _http1(s, HTTP1Settings)
    assert (http1.header_read_timeout, http1.keep_alive) == (timer_ms, keep_alive)
