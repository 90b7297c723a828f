"""SQLAlchemy column types that keep personal data encrypted at rest; Python code sees plaintext."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from bot.privacy.cipher import decrypt, encrypt


class EncryptedString(TypeDecorator[str]):
    """A string column stored as AES-GCM ciphertext; Python sees plaintext.

    Equality queries on it cannot work (each write uses a fresh nonce): store a :func:`lookup_hash`
    beside it for lookups.
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> bytes | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: bytes | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)


class EncryptedText(EncryptedString):
    """Same as :class:`EncryptedString`, named for long free text (messages, feedback)."""

    cache_ok = True


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted: for documents that may hold personal data (dialog state).

    Not queryable in SQL by design; assign a new value to change it (in-place mutation is not tracked).
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        return None if value is None else json.loads(decrypt(value))
