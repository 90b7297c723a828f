"""Personal data protection: encryption at rest, keyed lookup hashes, masking, erasure.

Public API (used by the store, the engine and the channels):

- ``encrypt(text) -> bytes`` / ``decrypt(blob) -> str``: AES-256-GCM with a random 96-bit nonce per value.
- ``lookup_hash(value) -> str``: HMAC-SHA256 (hex) so an encrypted phone number can still be found.
  Pass normalised values (``normalise_phone``) so "138 1234 5678" and "+8613812345678" hash alike.
- ``mask_phone("13812345678") -> "138****5678"``; ``mask_text(text)`` masks every phone-like number.
- ``install_log_masking()``: every log record created afterwards has phone-like numbers masked.
- ``EncryptedString`` / ``EncryptedText`` / ``EncryptedJSON``: SQLAlchemy column types; attributes hold
  plaintext, the database holds ciphertext.
- ``erase_customer(session, customer)``: wipes personal data, keeps anonymous ticket statistics.

The master secret comes from ``REPAIRBOT_SECRET_KEY`` (base64 of at least 32 bytes). Without it, the
embedded default generates one into ``<data_dir>/secret.key`` (mode 0600) on first use. Separate
encryption and hashing keys are derived from the secret with HKDF, so one never doubles as the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import LargeBinary
from sqlalchemy.types import TypeDecorator

from bot.config import data_dir

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.store.models import Customer

log = logging.getLogger(__name__)

SECRET_ENV = "REPAIRBOT_SECRET_KEY"
KEY_FILE_NAME = "secret.key"
_FORMAT_VERSION = b"\x01"  # first byte of every ciphertext, so the scheme can change later
_NONCE_BYTES = 12


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


def _keys() -> _Keys:
    env_value = os.environ.get(SECRET_ENV) or None
    return _keys_for("" if env_value else str(key_file_path()), env_value)


def generate_secret() -> str:
    """A fresh base64 secret suitable for ``REPAIRBOT_SECRET_KEY``."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def encrypt(text: str) -> bytes:
    """Encrypt ``text``; equal inputs give different outputs (random nonce)."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    return _FORMAT_VERSION + nonce + _keys().aead.encrypt(nonce, text.encode("utf-8"), None)


def decrypt(blob: bytes) -> str:
    """Decrypt a value made by :func:`encrypt`; raises ``ValueError`` on tampering or a wrong key."""
    blob = bytes(blob)
    if not blob.startswith(_FORMAT_VERSION) or len(blob) < 1 + _NONCE_BYTES + 16:
        raise ValueError("not a repairbot ciphertext")
    nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
    try:
        return _keys().aead.decrypt(nonce, body, None).decode("utf-8")
    except Exception as exc:  # InvalidTag: wrong key or altered data
        raise ValueError("cannot decrypt: wrong key or corrupted data") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) of ``value`` for equality lookups on encrypted columns."""
    return hmac.new(_keys().hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


_NON_DIGITS = re.compile(r"\D")
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def normalise_phone(phone: str) -> str:
    """Digits only, without the +86/0086 country prefix: the form hashed for lookups."""
    digits = _NON_DIGITS.sub("", phone.translate(_FULLWIDTH_DIGITS))
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11 and digits[len(prefix)] == "1":
            return digits[len(prefix) :]
    return digits


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678`` (+86 dropped); landlines keep three leading and four last digits."""
    digits = normalise_phone(phone)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) >= 7:
        return digits[:3] + "*" * (len(digits) - 5) + digits[-2:]
    return "*" * len(digits)


_D = "[0-9０-９]"
# Phone-like numbers: mobiles typed any way (+86/0086, spaces or dashes between groups), landlines
# with area code, and any unbroken run of seven or more digits (unknown formats, ID numbers). Dates,
# times, prices and IP addresses (short groups) stay readable.
_PHONE_LIKE = re.compile(
    rf"(?<!{_D})(?:"
    rf"(?:(?:\+|00)?86[\s-]?)?[1１][3-9３-９]{_D}(?:[\s-]?{_D}){{8}}"  # mobile
    rf"|[0０]{_D}{{2,3}}[\s-]?{_D}{{7,8}}"  # landline
    rf"|{_D}{{7,}}"  # anything else long
    rf")(?!{_D})"
)


def mask_text(text: str) -> str:
    """Return ``text`` with every phone-like number masked (``138****5678``)."""
    if not text:
        return text
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)


class PhoneMaskingFilter(logging.Filter):
    """A logging filter that masks phone-like numbers in the message, its arguments and tracebacks."""

    def filter(self, record: logging.LogRecord) -> bool:
        _mask_record(record)
        return True


def _mask_record(record: logging.LogRecord) -> None:
    if getattr(record, "_repairbot_masked", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must still be logged, masked
        message = f"{record.msg} {record.args}"
    record.msg = mask_text(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    record._repairbot_masked = True


_install_lock = threading.Lock()
_installed = False


def install_log_masking() -> PhoneMaskingFilter:
    """Mask phone-like numbers in every log record from now on; idempotent.

    Wraps the log record factory (so records are masked whichever logger or handler sees them, pytest's
    caplog included) and adds the filter to the root logger's current handlers as a second guard.
    """
    global _installed
    masking = PhoneMaskingFilter()
    with _install_lock:
        if not _installed:
            previous = logging.getLogRecordFactory()

            def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
                record = previous(*args, **kwargs)
                _mask_record(record)
                return record

            logging.setLogRecordFactory(factory)
            _installed = True
        for handler in logging.getLogger().handlers:
            if not any(isinstance(f, PhoneMaskingFilter) for f in handler.filters):
                handler.addFilter(masking)
    return masking


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


def erase_customer(session: Session, customer: Customer, *, actor: str = "customer") -> None:
    """Wipe a customer's personal data; keep anonymous ticket statistics.

    Clears the customer's phone, name, address and lookup hash, the text of every message and the
    dialog state of their conversations, and their free-text survey answers. Tickets keep brand, product, fault, region
    (adcode), status and timestamps, which carry no personal data. Writes an ``AuditLog`` row naming
    the customer id only. The caller commits.
    """
    from sqlalchemy import select, update

    from bot.store.models import AuditLog, Conversation, Message, SurveyAnswer, Ticket

    customer.phone = None
    customer.phone_hash = None
    customer.name = None
    customer.address = None
    customer.erased_at = datetime.now(UTC)

    conversation_ids = set(
        session.scalars(select(Conversation.id).where(Conversation.customer_id == customer.id))
    )
    conversation_ids.update(
        cid
        for cid in session.scalars(select(Ticket.conversation_id).where(Ticket.customer_id == customer.id))
        if cid is not None
    )
    erased_messages = 0
    if conversation_ids:
        session.execute(
            update(Conversation)
            .where(Conversation.id.in_(conversation_ids))
            .values(state={}, expecting=None)
            .execution_options(synchronize_session=False)
        )
        erased_messages = session.execute(
            update(Message)
            .where(Message.conversation_id.in_(conversation_ids))
            .values(text=None, erased=True)
            .execution_options(synchronize_session=False)
        ).rowcount
    ticket_ids = list(session.scalars(select(Ticket.id).where(Ticket.customer_id == customer.id)))
    if ticket_ids:
        session.execute(
            update(SurveyAnswer)
            .where(SurveyAnswer.ticket_id.in_(ticket_ids))
            .values(comment=None)
            .execution_options(synchronize_session=False)
        )
    session.add(
        AuditLog(
            actor=actor,
            action="customer.erase",
            target=f"customer:{customer.id}",
            detail={"tickets_kept": len(ticket_ids), "messages_erased": erased_messages},
        )
    )
    session.flush()
