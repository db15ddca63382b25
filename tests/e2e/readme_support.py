"""Running the README's shell: its indented code blocks of chosen sections, in one bash with
``set -e`` against a hub started in a fresh directory, every curl's status recorded."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import free_port

README = Path(__file__).resolve().parents[2] / "README.md"
WALKTHROUGH = ("Walkthrough (curl)", "Orders", "Returns", "Partners", "Operators")
ADMIN = "admin-secret-0123456789"  # the README's own
SERVE = f"HUB_BOOTSTRAP_ADMIN_KEY={ADMIN} ./hub serve"
EXPECTED_ERRORS = {"/v1/storefront/products/SKU-9999": 404}  # "Every error is an RFC 9457 problem"
# Records each curl's status on stderr (to a log), without changing what it prints.
PRELUDE = """set -euo pipefail
curl() { command curl -w '%{stderr}%{http_code} %{method} %{url_effective}\\n' "$@" 2>>"$CURL_LOG"; }
"""


def readme_commands(sections: tuple[str, ...] = WALKTHROUGH) -> list[str]:
    """The indented code blocks of ``sections`` (headings starting so), in order, as lines."""
    lines, section = [], None
    for line in README.read_text().splitlines():
        heading = re.match(r"^#{2,3} (.+)$", line)
        if heading:
            section = next((s for s in sections if heading.group(1).startswith(s)), None)
        elif section and (line.startswith("    ") or (not line.strip() and lines and lines[-1] != "")):
            lines.append(line[4:])
    return lines


@dataclass
class Ran:
    done: subprocess.CompletedProcess[str]
    calls: list[str]


RECEIVER_PORT = 9009
"""The README's webhook receiver's port: the script gets a free one instead, so a run beside
another (or anything on 9009) never collides."""


def run_shell(lines: list[str], cwd: Path, port: int, timeout: float = 240) -> Ran:
    """``lines`` as one bash script in ``cwd`` (``localhost:8080`` meaning the hub on ``port``,
    the receiver's 9009 a free port), with no ``HUB_*`` of this process's environment."""
    script = PRELUDE + "\n".join(lines).replace("localhost:8080", f"localhost:{port}")
    script = re.sub(rf"\b{RECEIVER_PORT}\b", str(free_port()), script)
    log = cwd / "curl.log"
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    done = subprocess.run(["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**clean, "CURL_LOG": str(log), "HUB_PORT": str(port)})
    return Ran(done, log.read_text().splitlines() if log.exists() else [])


def assert_every_call_succeeded(ran: Ran, port: int, hub_log: Path) -> None:
    """The script ended well, and every curl answered a success but the README's one error."""
    assert ran.done.returncode == 0, (ran.done.stdout[-3000:], ran.done.stderr[-3000:], ran.calls[-5:],
                                      hub_log.read_text()[-2000:])
    assert len(ran.calls) >= 20, ran.calls
    for call in ran.calls:
        status, _method, url = call.split(" ", 2)
        path = url.split(f":{port}", 1)[-1]
        expected = EXPECTED_ERRORS.get(path.split("?", 1)[0], 200)
        assert int(status) < 400 if expected == 200 else int(status) == expected, (call, ran.done.stdout[-3000:])


def install_hub_script(directory: Path, hub: str) -> None:
    """``./hub`` in ``directory``, the installed one."""
    (directory / "hub").write_text(f'#!/bin/sh\nexec "{hub}" "$@"\n')
    (directory / "hub").chmod(0o755)
