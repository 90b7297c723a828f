"""Encryption, keys, lookup hashes and masking (no database needed)."""

from __future__ import annotations

import base64
import logging
import stat

import pytest

from bot import privacy


@pytest.fixture
def no_env_key(monkeypatch):
    monkeypatch.delenv(privacy.SECRET_ENV, raising=False)


def test_round_trip_and_fresh_nonce(no_env_key):
    text = "河南省焦作市温县 13812345678 🔐"
    first, second = privacy.encrypt(text), privacy.encrypt(text)
    assert first != second  # random nonce: equal plaintexts do not reveal themselves
    assert b"13812345678" not in first
    assert privacy.decrypt(first) == text == privacy.decrypt(second)


def test_tampered_ciphertext_is_rejected(no_env_key):
    blob = bytearray(privacy.encrypt("13812345678"))
    blob[-1] ^= 0x01
    with pytest.raises(ValueError):
        privacy.decrypt(bytes(blob))
    with pytest.raises(ValueError):
        privacy.decrypt(b"not ours")


def test_key_file_created_with_0600(no_env_key):
    path = privacy.key_file_path()
    assert not path.exists()
    privacy.encrypt("x")
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(base64.b64decode(path.read_text())) == 32
    # The same file is reused: data encrypted now decrypts later.
    blob = privacy.encrypt("13812345678")
    privacy.forget_cached_keys()
    assert privacy.decrypt(blob) == "13812345678"


def test_env_key_wins_and_no_file_is_written(monkeypatch):
    monkeypatch.setenv(privacy.SECRET_ENV, privacy.generate_secret())
    blob = privacy.encrypt("secret")
    assert not privacy.key_file_path().exists()
    hashed = privacy.lookup_hash("13812345678")
    monkeypatch.setenv(privacy.SECRET_ENV, privacy.generate_secret())
    with pytest.raises(ValueError):
        privacy.decrypt(blob)  # another key cannot read it
    assert privacy.lookup_hash("13812345678") != hashed  # the hash is keyed


@pytest.mark.parametrize("bad", ["not base64!!", base64.b64encode(b"short").decode()])
def test_bad_env_key_is_a_clear_error(monkeypatch, bad):
    monkeypatch.setenv(privacy.SECRET_ENV, bad)
    with pytest.raises(privacy.SecretKeyError, match=privacy.SECRET_ENV):
        privacy.encrypt("x")


def test_lookup_hash_is_stable_for_normalised_phones(no_env_key):
    forms = ["13812345678", "138 1234 5678", "+86 138-1234-5678", "008613812345678", "１３８１２３４５６７８"]
    assert {privacy.normalise_phone(f) for f in forms} == {"13812345678"}
    hashes = {privacy.lookup_hash(privacy.normalise_phone(f)) for f in forms}
    assert len(hashes) == 1
    assert privacy.lookup_hash("13812345679") not in hashes
    assert len(next(iter(hashes))) == 64


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("13812345678", "138****5678"), ("+86 138 1234 5678", "138****5678"), ("0371-63331234", "037*****1234")],
)
def test_mask_phone(phone, masked):
    assert privacy.mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("text", "hidden", "shown"),
    [
        ("电话13812345678，温县", "13812345678", "138****5678"),
        ("打 138 1234 5678 找我", "1234 5678", "138****5678"),
        ("座机0371-63331234", "63331234", "****1234"),
        ("全角１３８１２３４５６７８", "１３８１２３４５６７８", "138****5678"),
        ("call +8613812345678 now", "8613812345678", "138****5678"),
    ],
)
def test_mask_text_hides_numbers(text, hidden, shown):
    masked = privacy.mask_text(text)
    assert hidden not in masked
    assert shown in masked


@pytest.mark.parametrize(
    "text",
    ["明天下午3点", "丹斯提尼保险柜打不开", "", "2026年11月", "房间 1203", "booked at 2026-11-24T08:00:00+08:00",
     "from 192.168.100.200", "price 1,234,567 元"],
)
def test_mask_text_leaves_ordinary_text(text):
    assert privacy.mask_text(text) == text


def test_log_masking(caplog):
    privacy.install_log_masking()
    privacy.install_log_masking()  # idempotent
    log = logging.getLogger("repairbot.test")
    with caplog.at_level(logging.INFO):
        log.info("customer phone %s in %s", "13812345678", "温县")
        log.warning("raw message: 我的电话 139-8765-4321")
        try:
            raise ValueError("bad number 13700001111")
        except ValueError:
            log.exception("failed")
    text = caplog.text
    for number in ("13812345678", "139-8765-4321", "13700001111"):
        assert number not in text
    assert "138****5678" in text and "温县" in text
    assert "137****1111" in text  # the traceback is masked too


def test_processes_starting_together_share_one_complete_key(tmp_path, monkeypatch):
    """Many first starts at the same instant: one key wins, none reads a half-written key file."""
    import os
    import subprocess
    import sys
    import time

    monkeypatch.delenv(privacy.SECRET_ENV, raising=False)
    start_at = time.time() + 3.0  # every child is imported and waiting by then
    child = (
        "import sys, time\n"
        "from bot import privacy\n"
        f"time.sleep(max(0.0, {start_at} - time.time()))\n"
        "print(privacy.lookup_hash('13812345678'))\n"
    )
    env = dict(os.environ, REPAIRBOT_DATA=str(tmp_path / "shared"))
    procs = [subprocess.Popen([sys.executable, "-c", child], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(12)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0] * 12, [err for _, err in results if err.strip()][:1]
    assert len({out.strip() for out, _ in results}) == 1
    assert sorted(os.listdir(tmp_path / "shared")) == ["secret.key"]  # no temporary files left behind


def test_the_key_file_never_exists_half_written(no_env_key, monkeypatch):
    """The key is written elsewhere and appears at its path complete (a concurrent reader never sees it empty)."""
    import os
    from pathlib import Path

    path = privacy.key_file_path()
    real_open, seen = os.open, []

    def watching_open(file, flags, *args, **kwargs):
        if os.fspath(file) == os.fspath(path) and flags & os.O_CREAT:
            seen.append("created in place")
        return real_open(file, flags, *args, **kwargs)

    real_link = os.link

    def watching_link(src, dst, *args, **kwargs):
        assert len(base64.b64decode(Path(src).read_text(encoding="ascii"))) == 32  # complete before it appears
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "open", watching_open)
    monkeypatch.setattr(os, "link", watching_link)
    privacy.encrypt("x")
    assert path.exists() and seen == []
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_one_masking_and_one_canonical_form_for_every_layer() -> None:
    import dialogs.texts
    import nlu.phones

    assert privacy.mask_phone is dialogs.texts.mask_phone is nlu.phones.mask_phone
    assert privacy.normalise_phone is nlu.phones.canonical_phone
    assert privacy.mask_phone(None) == privacy.mask_phone("") == "-"  # what the bot's texts show
    assert privacy.mask_phone("1234567") == "123**67"  # seven digits: never all shown


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [("+86 138-1234-5678", "13812345678"), ("0086 0371 6333 1234", "037163331234"),
     ("١٣٨١٢٣٤٥٦٧٨", "13812345678"), ("86-13812345678", "13812345678"), ("0861 2345678", "08612345678")],
)
def test_canonical_phone(typed: str, canonical: str) -> None:
    assert privacy.normalise_phone(typed) == canonical
