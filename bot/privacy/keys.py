"""The keyring: encryption keys with ids, and the key behind lookup hashes.

Where it comes from: ``REPAIRBOT_SECRET_KEY`` or, without it, the file ``<data_dir>/secret.key``
(mode 0600), which the embedded default generates on first use. Both hold the same text:
whitespace-separated entries, ``#`` comments allowed in the file::

    0:q0Z0…base64…=            an encryption key with its id ([A-Za-z0-9_-], at most 16 characters)
    1:7Hh4…base64…=            the last one listed encrypts new data; the others only decrypt
    hash:Zm9v…base64…=         the lookup-hash key itself (32 bytes), pinned

A single bare base64 secret, the only format before key rotation, is key ``0``. Secrets are at least
32 bytes; the encryption key is derived from each with HKDF (info ``encrypt``), so key material never
doubles as the hashing key.

Lookup hashes (``Customer.phone_hash``) must survive rotation, or nobody is found by phone any more:
the hashing key is HKDF(first secret, ``lookup-hash``) for a one-key ring (as it always was), and a
ring with several keys must pin it with a ``hash:`` entry, which :func:`add_key` writes. Retiring an
old encryption key then never changes a hash. Rotating the hashing key itself would mean recomputing
every hash from decrypted values; ``rotate-key`` does not do that.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.config import data_dir

log = logging.getLogger(__name__)

SECRET_ENV = "REPAIRBOT_SECRET_KEY"
KEY_FILE_NAME = "secret.key"
LEGACY_KEY_ID = "0"
_HASH_ENTRY = "hash"
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class SecretKeyError(RuntimeError):
    """The configured secret key is missing, malformed or too short."""


@dataclass(frozen=True, slots=True)
class Keyring:
    """Encryption keys by id (in the order listed), the id new data is encrypted with, the hashing key."""

    aeads: dict[str, AESGCM]
    current_id: str
    hash_key: bytes

    def aead(self, key_id: str) -> AESGCM:
        """The cipher for ``key_id``; ``ValueError`` when that key is not (or no longer) in the ring."""
        try:
            return self.aeads[key_id]
        except KeyError:
            raise ValueError(f"cannot decrypt: key {key_id!r} is not in the keyring") from None

    @property
    def ids(self) -> tuple[str, ...]:
        """Key ids in the order listed (the last is current)."""
        return tuple(self.aeads)


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"repairbot/v1", info=purpose).derive(secret)


def _decode(text: str, origin: str, minimum: int = 32) -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyError(f"{origin}: not valid base64") from exc
    if len(secret) < minimum:
        raise SecretKeyError(f"{origin}: the secret must be at least {minimum} bytes (got {len(secret)})")
    return secret


def _entries(text: str) -> list[str]:
    return [token for line in text.splitlines() for token in line.split("#", 1)[0].split()]


def parse_keyring(text: str, origin: str) -> Keyring:
    """Read keyring text (see the module docstring); raises :class:`SecretKeyError` naming ``origin``."""
    secrets_by_id: dict[str, bytes] = {}
    hash_key: bytes | None = None
    entries = _entries(text)
    for entry in entries:
        key_id, sep, encoded = entry.rpartition(":")
        if not sep:
            if len(entries) > 1:
                raise SecretKeyError(f"{origin}: with several entries each needs an id (ID:BASE64)")
            key_id, encoded = LEGACY_KEY_ID, entry
        if key_id == _HASH_ENTRY:
            hash_key = _decode(encoded, f"{origin} (hash)", minimum=32)
            continue
        if not _KEY_ID.match(key_id):
            raise SecretKeyError(f"{origin}: key id {key_id!r} must be 1-16 of A-Z a-z 0-9 _ -")
        if key_id in secrets_by_id:
            raise SecretKeyError(f"{origin}: key id {key_id!r} is listed twice")
        secrets_by_id[key_id] = _decode(encoded, f"{origin} (key {key_id})")
    if not secrets_by_id:
        raise SecretKeyError(f"{origin}: no encryption key")
    if hash_key is None:
        if len(secrets_by_id) > 1:
            raise SecretKeyError(
                f"{origin}: a keyring with several keys must pin the lookup-hash key (hash:BASE64), "
                "or retiring the first key would change every phone hash; `repairbot privacy new-key` writes it"
            )
        hash_key = _derive(next(iter(secrets_by_id.values())), b"lookup-hash")
    aeads = {key_id: AESGCM(_derive(secret, b"encrypt")) for key_id, secret in secrets_by_id.items()}
    return Keyring(aeads=aeads, current_id=list(secrets_by_id)[-1], hash_key=hash_key)


_key_file_lock = threading.RLock()  # add_key reads the file under the same lock


def key_file_path() -> Path:
    """Where the embedded default keeps its keyring."""
    return data_dir() / KEY_FILE_NAME


def _read_or_create_key_file(path: Path) -> str:
    with _key_file_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            # Written whole to a private temporary file, then linked into place: os.link fails if the
            # key exists, so when processes start at once exactly one key wins, and nobody can read a
            # key file that is still empty (as with O_EXCL followed by a write).
            tmp = _private_temp(path, (generate_secret() + "\n").encode("ascii"))
            try:
                os.link(tmp, path)
            except FileExistsError:
                pass
            else:
                log.warning("generated a new secret key in %s; back it up, encrypted data needs it", path)
            finally:
                tmp.unlink(missing_ok=True)
        return path.read_text(encoding="ascii")


def _private_temp(path: Path, content: bytes) -> Path:
    """``content`` in a new 0600 file beside ``path``, flushed to disk."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(content)
        fh.flush()
        os.fsync(fh.fileno())
    return tmp


@lru_cache(maxsize=8)
def _keyring_for(source: str, env_value: str | None) -> Keyring:
    if env_value:
        return parse_keyring(env_value, SECRET_ENV)
    return parse_keyring(_read_or_create_key_file(Path(source)), source)


def keyring() -> Keyring:
    """The keyring in force (read once per source; :func:`forget_cached_keys` reads it again).

    Called for every value encrypted or decrypted, so the key file's location is resolved from the
    raw environment and working directory and cached: building its path each time cost more than the
    AES-GCM operation itself.
    """
    env_value = os.environ.get(SECRET_ENV) or None
    if env_value:
        return _keyring_for("", env_value)
    data_env = os.environ.get("REPAIRBOT_DATA") or ""
    return _keyring_at(data_env, "" if data_env else os.getcwd())


@lru_cache(maxsize=8)
def _keyring_at(data_env: str, cwd: str) -> Keyring:
    return _keyring_for(str(key_file_path()), None)


def forget_cached_keys() -> None:
    """Drop the cached keyring, so the next use reads the secret again (tests, a key just added)."""
    _keyring_at.cache_clear()
    _keyring_for.cache_clear()


def generate_secret() -> str:
    """A fresh base64 secret suitable for ``REPAIRBOT_SECRET_KEY``."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of ``value`` for equality lookups on encrypted columns."""
    return hmac.new(keyring().hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def with_new_key(text: str, origin: str) -> tuple[str, str]:
    """Keyring ``text`` plus a fresh key listed last (so it encrypts new data): (new text, new id).

    Ids are the next integer after the largest numeric id. The lookup-hash key is pinned (``hash:``)
    when it was implicit, so hashes stay what they were.
    """
    ring = parse_keyring(text, origin)
    numeric = [int(k) for k in ring.ids if k.isdigit()]
    new_id = str(max(numeric, default=-1) + 1)
    entries = _entries(text)
    if len(entries) == 1 and ":" not in entries[0]:
        entries = [f"{LEGACY_KEY_ID}:{entries[0]}"]
    if not any(e.startswith(f"{_HASH_ENTRY}:") for e in entries):
        entries.insert(0, f"{_HASH_ENTRY}:{base64.b64encode(ring.hash_key).decode('ascii')}")
    entries.append(f"{new_id}:{generate_secret()}")
    return "\n".join(entries) + "\n", new_id


def add_key(path: Path | None = None) -> str:
    """Add a fresh key to the key file (it encrypts new data from the next start); returns its id.

    The file is replaced atomically and stays 0600. Processes already running keep the keyring they
    read: restart them before ``repairbot privacy rotate-key``.
    """
    path = path or key_file_path()
    with _key_file_lock:
        text, new_id = with_new_key(_read_or_create_key_file(path), str(path))
        tmp = _private_temp(path, text.encode("ascii"))
        os.replace(tmp, path)
    forget_cached_keys()
    return new_id
