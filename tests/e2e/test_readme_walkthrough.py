"""The README's walkthrough runs top to bottom on a fresh hub exactly as written (issue 10,
defect 17): its shell commands (the indented code blocks of the walkthrough sections) run in
one bash with ``set -e`` against a fresh `hub serve` in an empty directory, and every curl's
answer is checked: a success, except the one error the README shows on purpose."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import HUB, Process, free_port

pytestmark = pytest.mark.e2e
README = Path(__file__).resolve().parents[2] / "README.md"
SECTIONS = ("Walkthrough (curl)", "Orders", "Returns", "Partners", "Operators")
ADMIN = "admin-secret-0123456789"  # the README's own
SERVE = f"HUB_BOOTSTRAP_ADMIN_KEY={ADMIN} ./hub serve"
EXPECTED_ERRORS = {"/v1/storefront/products/SKU-9999": 404}  # "Every error is an RFC 9457 problem"
# Records each curl's status on stderr (to a log), without changing what it prints.
PRELUDE = """set -euo pipefail
curl() { command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\\n' "$@" 2>>"$CURL_LOG"; }
"""


def readme_commands() -> list[str]:
    """The indented code blocks of the walkthrough sections, in order, as lines."""
    lines, section = [], None
    for line in README.read_text().splitlines():
        heading = re.match(r"^#{2,3} (.+)$", line)
        if heading:
            section = next((s for s in SECTIONS if heading.group(1).startswith(s)), None)
        elif section and (line.startswith("    ") or (not line.strip() and lines and lines[-1] != "")):
            lines.append(line[4:])
    return lines


def test_the_walkthrough_is_shell_without_placeholders() -> None:
    commands = readme_commands()
    script = "\n".join(commands)
    assert SERVE in commands and "./hub keys create" in script and "curl" in script
    code = "\n".join(line.split("#", 1)[0] for line in commands)  # comments may show answers
    assert "…" not in code, [line for line in commands if "…" in line.split("#", 1)[0]]


def test_the_readme_walkthrough_runs_top_to_bottom_on_a_fresh_hub(tmp_path: Path) -> None:
    port = free_port()
    (tmp_path / "hub").write_text(f'#!/bin/sh\nexec "{HUB}" "$@"\n')  # `./hub`, installed already
    (tmp_path / "hub").chmod(0o755)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    hub = Process("all", port, {"HUB_BOOTSTRAP_ADMIN_KEY": ADMIN}, tmp_path)
    try:
        hub.wait_ready(60)
        lines = [line for line in readme_commands() if line.strip() != SERVE]
        script = PRELUDE + "\n".join(lines).replace("localhost:8080", f"localhost:{port}")
        log = tmp_path / "curl.log"
        done = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=240,
                              env={**clean, "CURL_LOG": str(log), "HUB_PORT": str(port)})
        calls = log.read_text().splitlines() if log.exists() else []
        assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:], calls[-5:],
                                      hub.log.read_text()[-2000:])
        assert len(calls) >= 20, calls
        for call in calls:
            status, method, url = call.split(" ", 2)
            path = url.split(f":{port}", 1)[-1]
            expected = EXPECTED_ERRORS.get(path.split("?", 1)[0], 200)
            assert int(status) < 400 if expected == 200 else int(status) == expected, (call, done.stdout[-3000:])
    finally:
        hub.stop()
