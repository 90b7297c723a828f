"""The master secret: from ``REPAIRBOT_SECRET_KEY`` or a generated key file, and the keys derived from it.

Without the variable, the embedded default generates a secret into ``<data_dir>/secret.key`` (mode
0600) on first use. Separate encryption and hashing keys are derived from the secret with HKDF, so one
never doubles as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
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


class SecretKeyError(RuntimeError):
    """The configured secret key is missing, malformed or too short."""


@dataclass(frozen=True, slots=True)
class _Keys:
    aead: AESGCM
    hash_key: bytes


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"repairbot/v1", info=purpose).derive(secret)


def _decode_secret(text: str, origin: str) -> bytes:
    try:
        secret = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SecretKeyError(f"{origin}: not valid base64") from exc
    if len(secret) < 32:
        raise SecretKeyError(f"{origin}: the secret must be at least 32 bytes (got {len(secret)})")
    return secret


_key_file_lock = threading.Lock()


def key_file_path() -> Path:
    """Where the embedded default keeps its generated secret."""
    return data_dir() / KEY_FILE_NAME


def _read_or_create_key_file(path: Path) -> bytes:
    with _key_file_lock:
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            encoded = base64.b64encode(secrets.token_bytes(32)) + b"\n"
            # Written whole to a private temporary file, then linked into place: os.link fails if the
            # key exists, so when processes start at once exactly one key wins, and nobody can read a
            # key file that is still empty (as with O_EXCL followed by a write).
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(encoded)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.link(tmp, path)
            except FileExistsError:
                pass
            else:
                log.warning("generated a new secret key in %s; back it up, encrypted data needs it", path)
            finally:
                tmp.unlink(missing_ok=True)
        return _decode_secret(path.read_text(encoding="ascii"), str(path))


@lru_cache(maxsize=8)
def _keys_for(source: str, env_value: str | None) -> _Keys:
    secret = _decode_secret(env_value, SECRET_ENV) if env_value else _read_or_create_key_file(Path(source))
    return _Keys(aead=AESGCM(_derive(secret, b"encrypt")), hash_key=_derive(secret, b"lookup-hash"))


def keys() -> _Keys:
    """The keys in force (cached per secret source)."""
    env_value = os.environ.get(SECRET_ENV) or None
    return _keys_for("" if env_value else str(key_file_path()), env_value)


def generate_secret() -> str:
    """A fresh base64 secret suitable for ``REPAIRBOT_SECRET_KEY``."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of ``value`` for equality lookups on encrypted columns."""
    return hmac.new(keys().hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()




def forget_cached_keys() -> None:
    """Drop cached keys, so the next use reads the secret again (tests, key changes in a running shell)."""
    _keys_for.cache_clear()
