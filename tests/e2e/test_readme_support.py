"""The README runner itself: the script it runs speaks to the hub under test and listens for
webhooks on a free port, never on the README's fixed ones (a run beside another cannot collide)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.readme_support import RECEIVER_PORT, readme_commands, run_shell


def test_the_readme_receiver_port_is_in_the_walkthrough_and_replaced_by_a_free_one(tmp_path: Path) -> None:
    assert any(f"--port {RECEIVER_PORT}" in line for line in readme_commands())
    ran = run_shell([f"echo localhost:8080 http://127.0.0.1:{RECEIVER_PORT}/ --port {RECEIVER_PORT} 190091"],
                    tmp_path, port=18555)
    said = ran.done.stdout.split()
    assert said[0] == "localhost:18555"
    receiver = said[3]
    assert said[1:3] == [f"http://127.0.0.1:{receiver}/", "--port"]
    assert receiver != str(RECEIVER_PORT) and int(receiver) > 1024
    assert said[4] == "190091", "only the port itself is replaced"
