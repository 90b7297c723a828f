"""AES-256-GCM encryption of text values with a random 96-bit nonce per value.

Format: a version byte (so the scheme can change later), the nonce, then ciphertext and tag.
"""

from __future__ import annotations

import secrets

from bot.privacy.keys import keys

_FORMAT_VERSION = b"\x01"  # first byte of every ciphertext, so the scheme can change later
_NONCE_BYTES = 12


def encrypt(text: str) -> bytes:
    """Encrypt ``text``; equal inputs give different outputs (random nonce)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _FORMAT_VERSION + nonce + keys().aead.encrypt(nonce, text.encode("utf-8"), None)


def decrypt(blob: bytes) -> str:
    """Decrypt a value made by :func:`encrypt`; raises ``ValueError`` on tampering or a wrong key."""
    blob = bytes(blob)
    if not blob.startswith(_FORMAT_VERSION) or len(blob) < 1 + _NONCE_BYTES + 16:
        raise ValueError("not a repairbot ciphertext")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return keys().aead.decrypt(nonce, body, None).decode("utf-8")
    except Exception as exc:  # InvalidTag: wrong key or altered data
        raise ValueError("cannot decrypt: wrong key or corrupted data") from exc
