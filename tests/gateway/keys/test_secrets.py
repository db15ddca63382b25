"""Key secrets (gateway/keys/secrets.py): prefix, checksum, hash."""

from __future__ import annotations

import hashlib

import pytest

from gateway.keys import secrets


def test_a_new_secret_has_the_prefix_and_a_valid_checksum() -> None:
    secret = secrets.new_secret()
    assert secret.startswith("chub_") and len(secret) == 51
    assert secret[5:].isalnum() and secrets.looks_valid(secret)


def test_secrets_and_ids_do_not_repeat() -> None:
    assert len({secrets.new_secret() for _ in range(500)}) == 500
    assert len({secrets.new_key_id() for _ in range(500)}) == 500


def _typo(secret: str, at: int) -> str:
    swapped = "A" if secret[at] != "A" else "B"
    return secret[:at] + swapped + secret[at + 1:]


@pytest.mark.parametrize("at", [5, 20, 44, 45, 50])
def test_a_one_character_typo_fails_the_checksum(at: int) -> None:
    assert not secrets.looks_valid(_typo(secrets.new_secret(), at))


@pytest.mark.parametrize("candidate", ["", "chub_", "sk_live_" + "a" * 46, "CHUB_" + "a" * 46, "test-admin-key-0123456789"])
def test_other_shapes_do_not_look_valid(candidate: str) -> None:
    assert not secrets.looks_valid(candidate)


def test_a_secret_that_is_one_character_longer_is_refused() -> None:
    assert not secrets.looks_valid(secrets.new_secret() + "a")


def test_the_hash_is_sha256_hex_and_never_the_secret() -> None:
    secret = secrets.new_secret()
    digest = secrets.hash_secret(secret)
    assert digest == hashlib.sha256(secret.encode()).hexdigest() and secret not in digest
