"""The `hub` bootstrap script: says what it does while it installs, nothing once installed.

Runs a copy of the script in a temporary directory with a stand-in Python whose venv and pip
only record what they were asked (no network, no real install: this tests the script)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FAKE_PYTHON = """#!/usr/bin/env bash
# a stand-in python: `-c` (the version check) passes; `-m venv DIR` makes a venv of stand-ins
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin"
  printf '#!/usr/bin/env bash\\necho "pip $*" >> "%s/pip.log"\\n' "$PWD" > "$3/bin/python"
  printf '#!/usr/bin/env bash\\necho "hub-ran $*"\\n' > "$3/bin/hub"
  chmod +x "$3/bin/python" "$3/bin/hub"
fi
exit 0
"""


def make_tree(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "hub", tmp_path / "hub")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    python = tmp_path / "fake-python"
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return tmp_path


def run(tree: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHON": str(tree / "fake-python")}
    return subprocess.run([str(tree / "hub"), *args], cwd=tree, env=env, capture_output=True, text=True, timeout=30)


def test_the_first_run_says_it_installs_then_that_it_is_done(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    first = run(tree, "--help")
    assert first.returncode == 0, first.stderr
    lines = first.stderr.strip().splitlines()
    assert lines[0] == "hub: first run: making ./.venv and installing dependencies (about a minute)..."
    assert lines[-1].startswith("hub: installed")
    assert first.stdout == "hub-ran --help\n"
    assert "install" in (tree / "pip.log").read_text()


def test_nothing_is_printed_when_nothing_needs_installing(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    assert run(tree, "--help").returncode == 0
    again = run(tree, "keys", "list")
    assert (again.returncode, again.stderr, again.stdout) == (0, "", "hub-ran keys list\n")


def test_a_changed_pyproject_says_it_updates(tmp_path: Path) -> None:
    tree = make_tree(tmp_path)
    assert run(tree, "--help").returncode == 0
    (tree / "pyproject.toml").write_text('[project]\nname = "x"\nversion = "2"\n')
    updated = run(tree, "--help")
    assert updated.stderr.startswith("hub: pyproject.toml changed: updating")
    assert updated.stderr.strip().splitlines()[-1].startswith("hub: installed")
