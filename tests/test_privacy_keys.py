"""The keyring: key ids, the newest key encrypts, the lookup-hash key survives rotation; the key CLI."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

from bot import privacy
from bot.cli import main
from bot.privacy.cipher import key_id_of
from bot.privacy.keys import SecretKeyError, parse_keyring, with_new_key


def _secret() -> str:
    return privacy.generate_secret()


def test_a_bare_secret_is_key_0_as_before() -> None:
    ring = parse_keyring(_secret(), "test")
    assert ring.ids == ("0",) and ring.current_id == "0"


def test_the_last_key_encrypts_and_every_key_decrypts(monkeypatch) -> None:
    first, hash_key = _secret(), base64.b64encode(b"h" * 32).decode()
    monkeypatch.setenv(privacy.SECRET_ENV, f"hash:{hash_key} a:{first}")
    old = privacy.encrypt("13812345678", b"ctx")
    monkeypatch.setenv(privacy.SECRET_ENV, f"hash:{hash_key} a:{first}\nb:{_secret()}")
    new = privacy.encrypt("13812345678", b"ctx")
    assert (key_id_of(old), key_id_of(new)) == ("a", "b")
    assert privacy.decrypt(old, b"ctx") == privacy.decrypt(new, b"ctx") == "13812345678"
    with pytest.raises(ValueError):
        privacy.decrypt(new, b"another cell")
    monkeypatch.setenv(privacy.SECRET_ENV, f"hash:{hash_key} b:{_secret()}")  # key a retired
    with pytest.raises(ValueError, match="not in the keyring"):
        privacy.decrypt(old, b"ctx")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("0:{s} 1:{s}", "pin the lookup-hash key"),
        ("0:{s} 0:{s} hash:{s}", "listed twice"),
        ("bad!:{s}", "key id"),
        ("{s} {s}", "each needs an id"),
        ("hash:{s}", "no encryption key"),
        ("0:c2hvcnQ=", "at least 32 bytes"),
    ],
)
def test_malformed_keyrings_are_clear_errors(text: str, error: str) -> None:
    with pytest.raises(SecretKeyError, match=error):
        parse_keyring(text.format(s=_secret()), "test")


def test_a_new_key_keeps_lookup_hashes(monkeypatch) -> None:
    legacy = _secret()
    monkeypatch.setenv(privacy.SECRET_ENV, legacy)
    digest = privacy.lookup_hash("13812345678")
    text, new_id = with_new_key(legacy, "test")
    assert new_id == "1" and "hash:" in text and f"0:{legacy}" in text
    monkeypatch.setenv(privacy.SECRET_ENV, text)
    assert privacy.keyring().current_id == "1" and privacy.lookup_hash("13812345678") == digest
    retired = " ".join(e for e in text.split() if not e.startswith("0:"))
    monkeypatch.setenv(privacy.SECRET_ENV, retired)
    assert privacy.lookup_hash("13812345678") == digest


def test_new_key_in_the_key_file(monkeypatch, capsys) -> None:
    monkeypatch.delenv(privacy.SECRET_ENV, raising=False)
    old = privacy.encrypt("王女士")
    digest = privacy.lookup_hash("13812345678")
    assert main(["privacy", "new-key"]) == 0
    assert capsys.readouterr().out.strip() == "1"
    path = privacy.key_file_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert privacy.keyring().ids == ("0", "1")
    assert key_id_of(privacy.encrypt("x")) == "1" and privacy.decrypt(old) == "王女士"
    assert privacy.lookup_hash("13812345678") == digest
    assert main(["privacy", "new-key"]) == 0 and capsys.readouterr().out.strip() == "2"


def test_new_key_with_the_keyring_in_the_environment(monkeypatch, capsys) -> None:
    monkeypatch.setenv(privacy.SECRET_ENV, _secret())
    assert main(["privacy", "new-key"]) == 0
    out, err = capsys.readouterr()
    assert parse_keyring(out, "stdout").current_id == "1" and privacy.SECRET_ENV in err
    assert not privacy.key_file_path().exists()


def test_rotate_key_cli(store, monkeypatch, capsys) -> None:
    from bot.store.models import Customer

    monkeypatch.setenv(privacy.SECRET_ENV, _secret())
    with store.session() as s:
        s.add_all([Customer(phone=f"1380000{i:04d}") for i in range(25)])
    text, _ = with_new_key(os.environ[privacy.SECRET_ENV], "test")
    monkeypatch.setenv(privacy.SECRET_ENV, text)
    assert main(["privacy", "rotate-key", "--url", store.url, "--batch-size", "10"]) == 0
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert report["rows"] == 25 and report["remaining"] == 0 and report["retirable"] == ["0"]
    assert "25/25 rows" in err and "customer" in err  # the progress bar, on stderr
