"""The `hub` command (commerce_hub/cli.py), run as a subprocess on a temporary SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.production_env import PRODUCTION

HUB = str(Path(sys.executable).with_name("hub"))
SECRET_FIELDS = {"key", "secret", "secret_hash", "previous_hash"}


class Cli:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
        self.env["HUB_DATABASE_URL"] = f"sqlite+aiosqlite:///{cwd}/hub.db"

    def run(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([HUB, *args], cwd=self.cwd, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=60)

    def json(self, *args: str) -> Any:
        done = self.run(*args, "--json")
        assert done.returncode == 0, done.stderr
        lines = done.stdout.strip().splitlines()
        assert len(lines) == 1, done.stdout
        return json.loads(lines[0])

    def create(self, *extra: str) -> dict[str, Any]:
        return self.json("keys", "create", "--consumer", "X", "--scope", "catalog:read", *extra)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path)


def test_keys_create_prints_one_json_object_with_the_secret(cli: Cli) -> None:
    created = cli.create("--customer", "CUST-ACME", "--expires-in", "30d", "--scope", "orders:write")
    assert {"id", "key", "consumer", "scopes", "plan", "customer"} <= created.keys()
    assert (created["consumer"], created["scopes"], created["plan"], created["customer"]) == (
        "X", ["catalog:read", "orders:write"], "standard", "CUST-ACME")
    assert created["key"].startswith("chub_") and created["status"] == "active"
    assert created["expires_at"] > created["created_at"]


def test_keys_list_shows_every_key_and_no_secret(cli: Cli) -> None:
    first, second = cli.create(), cli.create("--plan", "partner")
    done = cli.run("keys", "list", "--json")
    listing = json.loads(done.stdout)
    assert [k["id"] for k in listing["items"]] == [first["id"], second["id"]]
    assert all(not SECRET_FIELDS & item.keys() for item in listing["items"])
    assert first["key"] not in done.stdout and second["key"] not in done.stdout
    human = cli.run("keys", "list")
    assert human.returncode == 0 and first["id"] in human.stdout and first["key"] not in human.stdout


def test_keys_revoke_marks_the_key_revoked(cli: Cli) -> None:
    created = cli.create()
    revoked = cli.json("keys", "revoke", created["id"])
    assert (revoked["id"], revoked["status"]) == (created["id"], "revoked") and revoked["revoked_at"]
    assert {k["id"]: k["status"] for k in cli.json("keys", "list")["items"]} == {created["id"]: "revoked"}


def test_keys_rotate_prints_a_new_secret_for_the_same_key(cli: Cli) -> None:
    created = cli.create()
    rotated = cli.json("keys", "rotate", created["id"], "--grace", "0")
    assert rotated["id"] == created["id"] and rotated["key"].startswith("chub_") and rotated["key"] != created["key"]


@pytest.mark.parametrize("args", [("keys", "revoke", "key_0000000000000000"), ("keys", "rotate", "key_0000000000000000")])
def test_an_unknown_key_id_fails_with_one_line(cli: Cli, args: tuple[str, ...]) -> None:
    done = cli.run(*args)
    assert done.returncode != 0 and len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("extra", [("--scope", "catalog:write"), ("--plan", "gold"), ("--expires-in", "soon"),
                                   ("--expires-in", "99999999999d"), ("--expires-in", "3651d")])
def test_a_bad_key_request_fails_without_a_traceback(cli: Cli, extra: tuple[str, ...]) -> None:
    done = cli.run("keys", "create", "--consumer", "X", "--scope", "catalog:read", *extra, "--json")
    assert done.returncode != 0 and done.stdout == "" and "Traceback" not in done.stderr


def test_db_upgrade_creates_the_schema_and_is_idempotent(cli: Cli) -> None:
    for _ in range(2):
        done = cli.run("db", "upgrade")
        assert done.returncode == 0, done.stderr
    assert (cli.cwd / "hub.db").is_file()
    assert cli.json("keys", "list") == {"items": []}


@pytest.mark.parametrize(("env", "setting"), [
    ({"HUB_DATABASE_URL": "mysql://x"}, "HUB_DATABASE_URL"),
    ({"HUB_PORT": "abc"}, "HUB_PORT"),
    ({"HUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5999/hub", "HUB_SANDBOX": "1"}, "HUB_DATABASE_URL"),
    ({"HUB_DEFAULT_PLAN": "gold"}, "HUB_DEFAULT_PLAN"),
    ({"HUB_SANDBOX": "maybe"}, "HUB_SANDBOX"),
    ({"HUB_CONNECTION_PROBE_SECONDS": "-1"}, "HUB_CONNECTION_PROBE_SECONDS"),
    ({"HUB_CONNECTION_PROBE_SECONDS": "often"}, "HUB_CONNECTION_PROBE_SECONDS"),
    ({"HUB_CONNECTION_PROBE_TIMEOUT_SECONDS": "0"}, "HUB_CONNECTION_PROBE_TIMEOUT_SECONDS"),
    # issue 10: production never trusts a secret the README publishes; PostgreSQL must choose
    ({**PRODUCTION, "HUB_WMS_WEBHOOK_SECRET": "sandbox-wms-secret"}, "HUB_WMS_WEBHOOK_SECRET"),
    ({k: v for k, v in PRODUCTION.items() if k != "HUB_ERP_WEBHOOK_SECRET"}, "HUB_ERP_WEBHOOK_SECRET"),
    ({"HUB_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1:5999/hub"}, "HUB_SANDBOX"),
    # the data key sealing webhook secrets: required in production, readable when named
    ({k: v for k, v in PRODUCTION.items() if k != "HUB_DATA_KEY_FILE"}, "HUB_DATA_KEY_FILE"),
    ({"HUB_DATA_KEY_FILE": "/nonexistent/data.key"}, "HUB_DATA_KEY_FILE"),
])
def test_a_wrong_setting_stops_serve_with_exit_2_and_one_line_naming_it(cli: Cli, env: dict, setting: str) -> None:
    done = cli.run("serve", **env)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], done.stderr
    assert "serving" not in done.stdout


@pytest.mark.parametrize(("toml", "line"), [
    ('[connections.shop-eu]\nkind = "shopfy"\n', "connections.shop-eu.kind: unknown kind 'shopfy'"),
    ('[connections.shop-eu]\nkind = "shopify"\ncredential_env = "SHOP_EU_TOKEN"\n',
     "connections.shop-eu.credential_env: the environment variable SHOP_EU_TOKEN is not set"),
])
def test_a_wrong_connection_in_hub_toml_stops_serve_with_one_line(cli: Cli, toml: str, line: str) -> None:
    (cli.cwd / "hub.toml").write_text(toml)
    done = cli.run("serve")
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and line in lines[0], done.stderr


def test_serve_with_a_data_key_that_does_not_open_the_stored_secrets_stops_with_one_line(cli: Cli) -> None:
    """Production: a webhook secret sealed under another key stops the start naming HUB_DATA_KEY_FILE
    and the key id, never the sealed value. (A sandbox starts and leaves the row: see
    tests/experience_apis/partner/test_webhook_secrets_at_rest.py.)"""
    import sqlite3

    from shared.sealing import DataKeys, key_id, new_key_line

    assert cli.run("db", "upgrade").returncode == 0
    sealed = DataKeys(bytes(range(32))).seal("whsec_" + "A" * 43 + "=", "wh_1")
    with sqlite3.connect(cli.cwd / "hub.db") as db:
        db.execute("INSERT INTO webhook_subscriptions (id, customer_id, consumer, url, events, secret, status, "
                   "created_at) VALUES ('wh_1', 'CUST-A', 'p', 'https://p.example/in', '[]', ?, 'active', "
                   "'2026-11-22 10:00:00.000000')", (sealed,))
    (cli.cwd / "wrong.key").write_text(new_key_line() + "\n")
    done = cli.run("serve", "--port", "9701", **{**PRODUCTION, "HUB_DATA_KEY_FILE": str(cli.cwd / "wrong.key")})
    assert done.returncode == 2, (done.stdout, done.stderr)
    [line] = done.stderr.strip().splitlines()
    assert "HUB_DATA_KEY_FILE:" in line, line
    assert key_id(bytes(range(32))) in line and sealed.split(":")[3] not in line and "serving" not in done.stdout


# -- hub dlq ---------------------------------------------------------------------------


def add_dead_letters(cli: Cli, n: int) -> list[str]:
    """``n`` dead letters straight into the CLI's SQLite file; the later the newer."""
    import sqlite3

    assert cli.run("db", "upgrade").returncode == 0
    ids = [f"dl_{i}" for i in range(1, n + 1)]
    with sqlite3.connect(cli.cwd / "hub.db") as db:
        for i, letter_id in enumerate(ids, start=1):
            db.execute(
                "INSERT INTO dead_letters (id, topic, key, payload, reason, attempts, first_attempt_at, dead_at)"
                " VALUES (?, 'order.accepted', ?, ?, 'credit_hold: on hold', 1, ?, ?)",
                (letter_id, f"O-{i}", f'{{"order_id": "O-{i}"}}', f"2026-11-22 10:00:0{i}.000000",
                 f"2026-11-22 10:00:0{i}.000000"))
    return ids


def outbox_keys(cli: Cli) -> list[tuple[str, int]]:
    import sqlite3

    with sqlite3.connect(cli.cwd / "hub.db") as db:
        return db.execute("SELECT key, attempts FROM outbox ORDER BY id").fetchall()


def test_dlq_list_prints_the_dead_letters_newest_first(cli: Cli) -> None:
    assert cli.json("dlq", "list") == {"items": [], "next_cursor": None}
    ids = add_dead_letters(cli, 2)
    listing = cli.json("dlq", "list")
    assert [item["id"] for item in listing["items"]] == list(reversed(ids))
    assert listing["items"][0]["payload"] == {"order_id": "O-2"}
    assert listing["items"][0]["reason"] == "credit_hold: on hold"
    human = cli.run("dlq", "list")
    assert human.returncode == 0 and ids[0] in human.stdout and "credit_hold: on hold" in human.stdout
    paged = cli.json("dlq", "list", "--limit", "1")
    assert len(paged["items"]) == 1 and paged["next_cursor"]


def test_dlq_replay_enqueues_once_then_refuses(cli: Cli) -> None:
    [letter_id] = add_dead_letters(cli, 1)
    assert cli.json("dlq", "replay", letter_id) == {"id": letter_id, "status": "replayed"}
    assert outbox_keys(cli) == [("O-1", 0)]
    again = cli.run("dlq", "replay", letter_id)
    assert again.returncode != 0 and len(again.stderr.strip().splitlines()) == 1
    assert "already replayed" in again.stderr and "Traceback" not in again.stderr
    assert outbox_keys(cli) == [("O-1", 0)]
    assert cli.json("dlq", "list")["items"][0]["replayed_at"]


@pytest.mark.parametrize("system_url", [None, "http://127.0.0.1:9"], ids=["no-system-url", "system-role-down"])
def test_dlq_replay_names_the_backend_and_says_when_its_circuit_is_unknown(cli: Cli, system_url: str | None) -> None:
    # issue 10, defect 16: the CLI holds no breakers; it asks the system role (HUB_SYSTEM_URL)
    # and, when it cannot, says unknown rather than guess
    import sqlite3

    first, second = add_dead_letters(cli, 2)
    with sqlite3.connect(cli.cwd / "hub.db") as db:
        db.execute("UPDATE dead_letters SET backend = 'erp'")
    env = {"HUB_SYSTEM_URL": system_url} if system_url else {}
    done = cli.run("dlq", "replay", first, "--json", **env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"id": first, "status": "replayed", "backend": "erp",
                                       "backend_circuit": "unknown"}
    human = cli.run("dlq", "replay", second, **env)
    assert human.returncode == 0 and human.stdout.strip() == f"{second}: replayed; erp circuit unknown"
    assert outbox_keys(cli) == [("O-1", 0), ("O-2", 0)]


@pytest.mark.parametrize("args", [("dlq", "replay", "dl_missing"), ("dlq", "list", "--cursor", "nonsense"),
                                  ("dlq", "list", "--limit", "0")])
def test_a_bad_dlq_request_fails_without_a_traceback(cli: Cli, args: tuple[str, ...]) -> None:
    done = cli.run(*args)
    assert done.returncode != 0 and done.stdout == "" and "Traceback" not in done.stderr


def test_dlq_filters_bulk_replay_and_resolve(cli: Cli) -> None:
    # issue 12: the operator's dead-letter commands, audited as cli:<user>
    import sqlite3

    ids = add_dead_letters(cli, 3)
    with sqlite3.connect(cli.cwd / "hub.db") as db:
        db.execute("UPDATE dead_letters SET backend = 'erp', reason = 'backend_unavailable: ERP down' WHERE id != ?",
                   (ids[0],))
    listed = cli.json("dlq", "list", "--flow", "erp_posting", "--backend", "erp", "--code", "backend_unavailable")
    assert sorted(item["id"] for item in listed["items"]) == sorted(ids[1:])
    dry = cli.json("dlq", "replay", "--all", "--dry-run")
    assert dry == {"matched": 3, "replayed": 0, "skipped": 0, "dry_run": True, "circuits": []}
    assert outbox_keys(cli) == []
    resolved = cli.json("dlq", "resolve", ids[0], "--note", "credit released by hand")
    assert (resolved["status"], resolved["note"]) == ("resolved", "credit released by hand")
    assert resolved["resolved_by"].startswith("cli:")
    human = cli.run("dlq", "replay", "--backend", "erp", "--code", "backend_unavailable")
    assert human.returncode == 0, human.stderr
    assert human.stdout.strip() == "matched 2, replayed 2, skipped 0 (taken meanwhile); erp circuit unknown"
    assert outbox_keys(cli) == [("O-2", 0), ("O-3", 0)]
    assert cli.json("dlq", "replay", "--all")["matched"] == 0  # nothing open is left
    assert [item["id"] for item in cli.json("dlq", "list", "--status", "resolved")["items"]] == [ids[0]]
    again = cli.run("dlq", "resolve", ids[0], "--note", "again")
    assert again.returncode != 0 and "already resolved" in again.stderr and "Traceback" not in again.stderr


@pytest.mark.parametrize("args", [("dlq", "replay"), ("dlq", "replay", "dl_1", "--all"),
                                  ("dlq", "list", "--since", "yesterday"), ("dlq", "list", "--flow", "nope"),
                                  ("dlq", "replay", "--code", "Bad Code", "--dry-run"),
                                  ("dlq", "resolve", "dl_1", "--note", "")])
def test_a_bad_dlq_operation_fails_with_one_line(cli: Cli, args: tuple[str, ...]) -> None:
    done = cli.run(*args)
    assert done.returncode != 0 and done.stdout == "" and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
