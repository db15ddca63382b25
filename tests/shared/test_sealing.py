"""The data keys that seal webhook secrets at rest (shared/sealing.py): the key file, the
sandbox's own key, rotation, and what never opens."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from shared.sealing import DataKeyError, DataKeys, key_id, load_data_keys, new_key_line, sealed_kid
from shared.settings import SettingsError, load_settings
from system_apis.webhooks.port import new_secret
from tests.production_env import PRODUCTION

OLD, NEW = bytes(range(32)), bytes(range(32, 64))


def settings(**overrides: object):  # noqa: ANN201
    return load_settings(env={}, toml_path="/nonexistent", **overrides)


def line(key: bytes) -> str:
    return base64.b64encode(key).decode()


def test_production_without_the_key_file_is_refused_naming_it() -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(env={k: v for k, v in PRODUCTION.items() if k != "HUB_DATA_KEY_FILE"}, toml_path="/nonexistent")
    assert str(refused.value).startswith("HUB_DATA_KEY_FILE: required when HUB_SANDBOX=0")
    assert load_settings(env=PRODUCTION, toml_path="/nonexistent").data_key_file == PRODUCTION["HUB_DATA_KEY_FILE"]


def test_the_sandbox_makes_its_key_once_beside_the_sqlite_file_owner_only(tmp_path: Path) -> None:
    s = settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/db/hub.db")
    first = load_data_keys(s)
    path = tmp_path / "db" / "data.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_data_keys(s).current == first.current  # kept: what it sealed still opens after a restart
    assert [p.name for p in path.parent.iterdir()] == ["data.key"]  # no temporary file left


def test_the_sandbox_on_postgresql_keeps_its_key_under_var(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    keys = load_data_keys(settings(database_url="postgresql+asyncpg://u@db/hub", sandbox=True))
    assert (tmp_path / "var" / "data.key").is_file() and load_data_keys(
        settings(database_url="postgresql+asyncpg://u@db/hub", sandbox=True)).current == keys.current


@pytest.mark.parametrize("text, says", [
    ("", "holds no key"),
    ("# only a comment\n", "holds no key"),
    ("not base64 at all\n", "line 1"),
    (f"{line(OLD)}\n{base64.b64encode(b'short').decode()}\n", "line 2"),
])
def test_a_bad_key_file_is_one_line_naming_the_setting_and_never_its_content(tmp_path: Path, text: str,
                                                                           says: str) -> None:
    path = tmp_path / "data.key"
    path.write_text(text)
    with pytest.raises(SettingsError) as refused:
        load_data_keys(settings(data_key_file=str(path)))
    message = str(refused.value)
    assert message.startswith("HUB_DATA_KEY_FILE:") and says in message and "\n" not in message
    assert line(OLD) not in message


def test_an_unreadable_key_file_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match=r"^HUB_DATA_KEY_FILE: cannot read .*missing\.key"):
        load_data_keys(settings(data_key_file=str(tmp_path / "missing.key")))


def test_a_secret_round_trips_and_is_neither_the_secret_nor_its_encoding() -> None:
    keys, secret = DataKeys(NEW), new_secret()
    sealed = keys.seal(secret, "wh_1")
    assert sealed.startswith(f"enc:v1:{key_id(NEW)}:") and keys.open(sealed, "wh_1") == secret
    assert secret.removeprefix("whsec_") not in sealed and keys.seal(secret, "wh_1") != sealed  # a fresh nonce
    assert keys.open(keys.seal("any text", "wh_1"), "wh_1") == "any text"
    assert keys.open(secret, "wh_1") == secret  # a plaintext value from before sealing


def test_a_sealed_value_moved_to_another_row_or_altered_does_not_open() -> None:
    keys = DataKeys(NEW)
    sealed = keys.seal(new_secret(), "wh_1")
    with pytest.raises(DataKeyError, match="does not open"):
        keys.open(sealed, "wh_2")
    altered = sealed[:-2] + ("AA" if sealed[-2:] != "AA" else "BB")
    with pytest.raises(DataKeyError) as caught:
        keys.open(altered, "wh_1")
    assert altered.split(":")[3] not in str(caught.value) + caught.value.detail


def test_rotation_the_first_key_seals_an_older_one_still_opens_and_reseal_moves_it(tmp_path: Path) -> None:
    secret = new_secret()
    under_old = DataKeys(OLD).seal(secret, "wh_1")
    path = tmp_path / "data.key"
    path.write_text(f"# new first\n{line(NEW)}\n{line(OLD)}\n")
    keys = load_data_keys(settings(data_key_file=str(path)))
    assert keys.current == key_id(NEW) and keys.kids == {key_id(NEW), key_id(OLD)}
    assert keys.open(under_old, "wh_1") == secret
    moved = keys.reseal(under_old, "wh_1")
    assert sealed_kid(moved) == key_id(NEW) and DataKeys(NEW).open(moved, "wh_1") == secret
    assert keys.reseal(moved, "wh_1") == moved  # already current: unchanged
    with pytest.raises(DataKeyError) as caught:
        DataKeys(NEW).open(under_old, "wh_1")
    assert key_id(OLD) in str(caught.value) and "HUB_DATA_KEY_FILE" in str(caught.value)
    assert caught.value.status == 500 and caught.value.code == "data_key_mismatch"
    assert key_id(OLD) not in caught.value.detail  # the client's detail names no key


def test_the_keys_never_show_in_a_repr() -> None:
    keys = DataKeys(NEW, OLD)
    assert line(NEW) not in repr(keys) and NEW.hex() not in repr(keys) and key_id(NEW) in repr(keys)
