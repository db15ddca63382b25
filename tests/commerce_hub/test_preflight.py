"""Checks before `hub serve` starts a role (commerce_hub/preflight.py)."""

from __future__ import annotations

import pytest

from commerce_hub.preflight import require_sandbox_choice
from shared.settings import SettingsError, load_settings

PG = "postgresql+asyncpg://u@db/hub"


def settings(env: dict[str, str]):  # noqa: ANN201
    return load_settings(env=env, toml_path="/nonexistent/hub.toml")


def test_a_postgresql_hub_that_does_not_say_sandbox_or_not_is_refused() -> None:
    with pytest.raises(SettingsError) as caught:
        require_sandbox_choice(settings({"HUB_DATABASE_URL": PG}))
    message = str(caught.value)
    assert message.startswith("HUB_SANDBOX:") and "\n" not in message
    assert "HUB_SANDBOX=1" in message and "HUB_SANDBOX=0" in message


@pytest.mark.parametrize("env", [
    {"HUB_DATABASE_URL": PG, "HUB_SANDBOX": "1"},
    {"HUB_DATABASE_URL": PG, "HUB_SANDBOX": "true"},
    {},  # the embedded default (SQLite) is the sandbox by default
    {"HUB_DATABASE_URL": "sqlite+aiosqlite:///./elsewhere.db"},
])
def test_an_explicit_choice_or_the_embedded_hub_starts(env: dict[str, str]) -> None:
    require_sandbox_choice(settings(env))


def test_an_override_counts_as_a_choice() -> None:
    require_sandbox_choice(load_settings(env={"HUB_DATABASE_URL": PG}, toml_path="/nonexistent", sandbox=True))
