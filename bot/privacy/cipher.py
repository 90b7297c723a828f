"""AES-256-GCM encryption of text values, bound to where the value lives.

Format version 2 (every new ciphertext)::

    0x02 | len(key id) | key id (ASCII) | nonce (12 bytes) | ciphertext + tag (16 bytes)

with associated data ``b"repairbot/v2\\0" + key id + b"\\0" + context``. The context says where the
value belongs (for a column: table, column and row key, see :mod:`bot.privacy.columns`): the same
ciphertext presented with another context fails authentication, so a value moved to another row or
column is refused rather than shown. The key id names the keyring entry that encrypted it, so keys can
be rotated (new writes use the newest key, old values decrypt until re-encrypted).

Format version 1 (before rotation and binding): ``0x01 | nonce | ciphertext + tag``, no associated
data, always key ``0``. Still decrypted (any context is accepted: it had none); never written.
"""

from __future__ import annotations

import secrets

from bot.privacy.keys import LEGACY_KEY_ID, keyring

V1 = 1
V2 = 2
_NONCE_BYTES = 12
_TAG_BYTES = 16
_AAD_PREFIX = b"repairbot/v2\x00"


def _aad(key_id: bytes, context: bytes) -> bytes:
    return _AAD_PREFIX + key_id + b"\x00" + context


def encrypt(text: str, context: bytes = b"") -> bytes:
    """Encrypt ``text`` with the current key, bound to ``context``; equal inputs give different outputs."""
    ring = keyring()
    key_id = ring.current_id.encode("ascii")
    nonce = secrets.token_bytes(_NONCE_BYTES)
    body = ring.aead(ring.current_id).encrypt(nonce, text.encode("utf-8"), _aad(key_id, context))
    return bytes((V2, len(key_id))) + key_id + nonce + body


def key_id_of(blob: bytes) -> str:
    """The id of the key that encrypted ``blob`` (``0`` for format 1); ``ValueError`` if it is not ours."""
    blob = bytes(blob)
    if blob[:1] == bytes((V1,)) and len(blob) >= 1 + _NONCE_BYTES + _TAG_BYTES:
        return LEGACY_KEY_ID
    if blob[:1] == bytes((V2,)) and len(blob) >= 2:
        end = 2 + blob[1]
        if len(blob) >= end + _NONCE_BYTES + _TAG_BYTES:
            return blob[2:end].decode("ascii", "replace")
    raise ValueError("not a repairbot ciphertext")


def current_prefix() -> bytes:
    """The first bytes of every value encrypted now: lets SQL find values still under older keys."""
    key_id = keyring().current_id.encode("ascii")
    return bytes((V2, len(key_id))) + key_id


def decrypt(blob: bytes, context: bytes = b"") -> str:
    """Decrypt a value made by :func:`encrypt` with the same ``context`` (or a format-1 value).

    Raises ``ValueError`` on tampering, a wrong context (the value was moved), or a missing key.
    """
    blob = bytes(blob)
    key_id = key_id_of(blob)
    ring = keyring()
    if blob[0] == V1:
        nonce, body, aad = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :], None
    else:
        start = 2 + blob[1]
        nonce, body = blob[start : start + _NONCE_BYTES], blob[start + _NONCE_BYTES :]
        aad = _aad(key_id.encode("ascii"), context)
    try:
        return ring.aead(key_id).decrypt(nonce, body, aad).decode("utf-8")
    except ValueError:
        raise
    except Exception as exc:  # InvalidTag: wrong key, altered data, or another row's value
        raise ValueError("cannot decrypt: wrong key, corrupted data, or a value moved from elsewhere") from exc
