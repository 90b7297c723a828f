"""Personal data protection: encryption at rest, keyed lookup hashes, masking, erasure.

One module per concern; this package re-exports the public names, so ``from bot.privacy import …``
keeps working wherever it is written:

- :mod:`bot.privacy.cipher`: ``encrypt(text, context) -> bytes`` / ``decrypt(blob, context) -> str``
  (AES-256-GCM, key id in the header, ``context`` as associated data).
- :mod:`bot.privacy.keys`: the keyring (``REPAIRBOT_SECRET_KEY`` or the generated key file; key ids,
  the newest encrypts) and ``lookup_hash(value)``, a keyed HMAC-SHA256 so an encrypted phone number
  can still be found. Pass normalised values (``normalise_phone``) so "138 1234 5678" and
  "+8613812345678" hash alike.
- :mod:`bot.privacy.masking`: ``mask_phone("13812345678") -> "138****5678"``, ``mask_text(text)``
  masks every phone-like number; ``normalise_phone`` is the canonical form (both from :mod:`nlu.phones`).
- :mod:`bot.privacy.log_filter`: ``install_log_masking()`` masks phone-like numbers in every log record.
- :mod:`bot.privacy.columns`: ``EncryptedString`` / ``EncryptedText`` / ``EncryptedJSON`` column types;
  attributes hold plaintext, the database holds ciphertext bound to its table, column and row key.
  **A model with such a column also inherits** ``RowKeyed`` (the rule for new tables).
- :mod:`bot.privacy.binding`: the event listeners that encrypt values for their row (installed on
  import of this package).
- :mod:`bot.privacy.rotation`: ``rotate_keys(db)`` re-encrypts every encrypted column under the newest key.
- :mod:`bot.privacy.erasure`: ``erase_customer(session, customer, conversation=…)`` wipes personal data
  (photos and ticket addresses included), keeps anonymous ticket statistics: the one erasure every
  path calls.
"""

from __future__ import annotations

from bot.privacy import binding as _binding  # noqa: F401 - installs the listeners that bind values to rows
from bot.privacy.cipher import decrypt, encrypt
from bot.privacy.columns import EncryptedJSON, EncryptedString, EncryptedText, RowKeyed, UnsealedValueError
from bot.privacy.erasure import Erased, erase_customer
from bot.privacy.keys import (
    KEY_FILE_NAME,
    SECRET_ENV,
    Keyring,
    SecretKeyError,
    add_key,
    forget_cached_keys,
    generate_secret,
    key_file_path,
    keyring,
    lookup_hash,
)
from bot.privacy.log_filter import PhoneMaskingFilter, install_log_masking
from bot.privacy.masking import mask_phone, mask_text, normalise_phone

__all__ = [
    "KEY_FILE_NAME",
    "Keyring",
    "RowKeyed",
    "UnsealedValueError",
    "add_key",
    "keyring",
    "SECRET_ENV",
    "EncryptedJSON",
    "Erased",
    "EncryptedString",
    "EncryptedText",
    "PhoneMaskingFilter",
    "SecretKeyError",
    "decrypt",
    "encrypt",
    "erase_customer",
    "forget_cached_keys",
    "generate_secret",
    "install_log_masking",
    "key_file_path",
    "lookup_hash",
    "mask_phone",
    "mask_text",
    "normalise_phone",
]
