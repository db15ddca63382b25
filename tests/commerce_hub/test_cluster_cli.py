"""`hub cluster` refusals that need no services: the settings it requires, no cluster to see."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HUB = str(Path(sys.executable).with_name("hub"))


def _hub(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    return subprocess.run([HUB, "cluster", *args], cwd=cwd, env={**base, **env}, capture_output=True, text=True,
                          timeout=60)


@pytest.mark.parametrize(("env", "named"), [
    ({}, "HUB_DATABASE_URL"),  # the embedded SQLite default: one process only
    ({"HUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:1/none", "HUB_SANDBOX": "1"}, "HUB_REDIS_URL"),
])
def test_up_refuses_without_postgresql_and_redis_naming_the_setting(tmp_path: Path, env: dict, named: str) -> None:
    done = _hub(tmp_path, "up", "--base-port", "9260", **env)
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"hub: {named}:") and len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "var" / "cluster").exists(), "a refused start leaves nothing behind"


def test_up_refuses_a_postgresql_hub_that_did_not_choose_the_sandbox(tmp_path: Path) -> None:
    done = _hub(tmp_path, "up", "--base-port", "9260", HUB_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:1/x",
                HUB_REDIS_URL="redis://127.0.0.1:1/0")
    assert done.returncode == 2 and done.stderr.startswith("hub: HUB_SANDBOX:"), done.stderr


def test_status_and_down_without_a_cluster(tmp_path: Path) -> None:
    status = _hub(tmp_path, "status", "--json")
    assert status.returncode == 3 and '"running": false' in status.stdout
    down = _hub(tmp_path, "down")
    assert down.returncode == 0 and "no cluster" in down.stdout
