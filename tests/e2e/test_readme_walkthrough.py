"""The README's walkthrough runs top to bottom on a fresh hub exactly as written (issue 10,
defect 17): its shell commands (the indented code blocks of the walkthrough sections) run in
one bash with ``set -e`` against a fresh `hub serve` in an empty directory, and every curl's
answer is checked: a success, except the one error the README shows on purpose."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import HUB, Process, free_port
from tests.e2e.readme_support import (
    ADMIN,
    SERVE,
    assert_every_call_succeeded,
    install_hub_script,
    readme_commands,
    run_shell,
)

pytestmark = pytest.mark.e2e


def test_the_walkthrough_is_shell_without_placeholders() -> None:
    commands = readme_commands()
    script = "\n".join(commands)
    assert SERVE in commands and "./hub keys create" in script and "curl" in script
    code = "\n".join(line.split("#", 1)[0] for line in commands)  # comments may show answers
    assert "…" not in code, [line for line in commands if "…" in line.split("#", 1)[0]]


def test_the_readme_walkthrough_runs_top_to_bottom_on_a_fresh_hub(tmp_path: Path) -> None:
    port = free_port()
    install_hub_script(tmp_path, HUB)
    hub = Process("all", port, {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN}, tmp_path)
    try:
        hub.wait_ready(60)
        ran = run_shell([line for line in readme_commands() if line.strip() != SERVE], tmp_path, port)
        assert_every_call_succeeded(ran, port, hub.log)
        assert "/sandbox/erp /sandbox/pos\n" in ran.done.stdout  # `sandbox NAME` finds the defaults' sandboxes
    finally:
        hub.stop()
