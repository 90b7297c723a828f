"""SQLAlchemy column types that keep personal data encrypted at rest, bound to their cell.

Python code sees plaintext; the database holds AES-GCM ciphertext (:mod:`bot.privacy.cipher`) whose
associated data is the cell it belongs to: table, column and the row's **row key**.

Why a row key and not the primary key: ids are autoincremented, so unknown until the INSERT has run,
and encrypting afterwards would cost a second statement per row (on the hottest path, the messages of
every turn). A row key is a random 128-bit value (32 hex characters) chosen in Python before the
INSERT, stored in the row's ``row_key`` column (unique, never changed). Like a primary key it names
the row, not its content: binding protects against moving a value between rows, columns or tables,
not against relabelling a whole row (which changing its foreign keys would do anyway). So:

- writing: the value is encrypted while its statement's parameters are prepared, where the row key
  is at hand (:mod:`bot.privacy.binding`): ORM objects, ``session.execute(insert(Model), rows)``,
  single-row ``insert(...).values(...)`` and updates of loaded objects all work unchanged;
- reading: the SELECT returns ``row_key || ciphertext`` (a column expression added by the type), so
  the value is opened with the row key of the row it was actually read from. A ciphertext copied into
  another row, column or table fails to decrypt (``ValueError``) instead of showing up there. This
  holds for entity loads and column selects alike (``select(Customer.phone)``); only a value selected
  through a subquery that hides ``row_key`` cannot be opened (a clear error says so).

**Rule for new encrypted columns**: a model with an ``EncryptedString``/``EncryptedText``/``EncryptedJSON``
column also inherits :class:`RowKeyed` (and its migration adds ``row_key``, as ``0007_privacy`` does for
the first tables). Nothing else per model: mapping a model that breaks the rule fails at start-up.

Values written before binding existed (format 1) still decrypt, and are rewritten in format 2 the next
time they are written or by ``repairbot privacy rotate-key``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import LargeBinary, String, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

from bot.privacy.cipher import V1, V2, decrypt, encrypt

ROW_KEY = "row_key"
ROW_KEY_CHARS = 32


def new_row_key() -> str:
    """A fresh row key: 128 random bits as 32 lowercase hex characters."""
    return secrets.token_hex(ROW_KEY_CHARS // 2)


class RowKeyed:
    """Mixin for models with encrypted columns: the ``row_key`` their ciphertexts are bound to.

    Set on every INSERT the application makes and never changed. Nullable in the schema only so that
    migrations can add it to existing tables without rebuilding them (SQLite rebuilds a table to add
    NOT NULL, and dropping the old copy would cascade-delete its children); a row without one can hold
    only format-1 values, which carry no binding anyway.
    """

    row_key: Mapped[str | None] = mapped_column(String(ROW_KEY_CHARS), unique=True, index=True,
                                                default=new_row_key)


def cell_context(table: str, column: str, row_key: str) -> bytes:
    """The associated data naming one cell: ``table NUL column NUL row_key``."""
    return f"{table}\x00{column}\x00{row_key}".encode()


class UnsealedValueError(ValueError):
    """A plaintext value reached an encrypted column without its row key (see the module docstring)."""


class Sealed:
    """A ciphertext ready to be written: what :mod:`bot.privacy.binding` puts in statement parameters."""

    __slots__ = ("blob",)

    def __init__(self, blob: bytes) -> None:
        self.blob = blob

    def __repr__(self) -> str:  # never the bytes: a failing statement may print its parameters
        return f"<Sealed {len(self.blob)} bytes>"


class _Packed(FunctionElement[bytes]):
    """``row_key || ciphertext`` as one binary value, spelled per dialect."""

    inherit_cache = True
    type = LargeBinary()
    name = "repairbot_packed_cell"


@compiles(_Packed, "postgresql")
def _packed_pg(element: _Packed, compiler: SQLCompiler, **kw: Any) -> str:
    row_key, value = list(element.clauses)
    return f"(convert_to(COALESCE({compiler.process(row_key, **kw)}, ''), 'UTF8') || {compiler.process(value, **kw)})"


@compiles(_Packed)
def _packed_default(element: _Packed, compiler: SQLCompiler, **kw: Any) -> str:
    # SQLite's || concatenates the bytes of text and blob alike; CAST brings back a blob.
    row_key, value = list(element.clauses)
    return f"CAST((COALESCE({compiler.process(row_key, **kw)}, '') || {compiler.process(value, **kw)}) AS BLOB)"


def _cell_of(colexpr: ColumnElement[Any]) -> tuple[str, str] | None:
    """(table, column) of the table column behind ``colexpr`` (itself, an alias's, an ORM entity's)."""
    for base in getattr(colexpr, "base_columns", ()):
        table = getattr(base, "table", None)
        if table is not None and getattr(table, "name", None) and getattr(base, "name", None):
            return table.name, base.name
    return None


class _EncryptedType(TypeDecorator[Any]):
    """Shared behaviour of the encrypted types: text values by default; JSON overrides dump and load."""

    impl = LargeBinary
    cache_ok = True

    def dump(self, value: Any) -> str:
        """The plaintext to encrypt for ``value``."""
        if not isinstance(value, str):
            raise TypeError(f"{type(self).__name__} takes str, not {type(value).__name__}")
        return value

    def load(self, text: str) -> Any:
        """The value for decrypted ``text``."""
        return text

    def seal(self, value: Any, table: str, column: str, row_key: str) -> Sealed:
        """``value`` encrypted for its cell."""
        return Sealed(encrypt(self.dump(value), cell_context(table, column, row_key)))

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.blob
        raise UnsealedValueError(
            "an encrypted column got a plaintext value without its row key: write it through a Session "
            "(ORM objects, session.execute(insert(Model), rows), or an update of a loaded object); "
            "encrypted columns cannot be compared in SQL either"
        )

    def column_expression(self, colexpr: Any) -> Any:
        cell = _cell_of(colexpr)
        from_ = getattr(colexpr, "table", None)
        row_key = from_.c.get(ROW_KEY) if from_ is not None and hasattr(from_, "c") else None
        if cell is None or row_key is None:
            return colexpr  # read without its row: format-1 values only (process_result_value)
        return type_coerce(_Packed(row_key, colexpr), _CellReader(cell[0], cell[1], type(self).__name__))

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        if value is None:
            return None
        if bytes(value[:1]) == bytes((V1,)):
            return self.load(decrypt(value))
        raise ValueError("an encrypted value was selected without its row (through a subquery that hides "
                         f"{ROW_KEY}?): select it from its table")


class _CellReader(TypeDecorator[Any]):
    """Result type of a packed cell: splits off the row key and decrypts with the cell's context."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, table: str, column: str, kind: str) -> None:
        super().__init__()
        self.table, self.column, self.kind = table, column, kind

    def process_result_value(self, value: bytes | None, dialect: Any) -> Any:
        if value is None:
            return None
        value = bytes(value)
        if value[:1] in (bytes((V1,)), bytes((V2,))):  # the row has no row key (see RowKeyed)
            if value[:1] == bytes((V2,)):
                raise ValueError(f"{self.table}.{self.column}: a bound value in a row without {ROW_KEY}")
            return _KINDS[self.kind].load(decrypt(value))
        row_key, blob = value[:ROW_KEY_CHARS].decode("ascii", "replace"), value[ROW_KEY_CHARS:]
        text = decrypt(blob, cell_context(self.table, self.column, row_key))
        return _KINDS[self.kind].load(text)


class EncryptedString(_EncryptedType):
    """A string column stored as AES-GCM ciphertext; Python sees plaintext.

    Equality queries on it cannot work (each write uses a fresh nonce): store a
    :func:`bot.privacy.lookup_hash` beside it for lookups.
    """

    cache_ok = True


class EncryptedText(EncryptedString):
    """Same as :class:`EncryptedString`, named for long free text (messages, feedback)."""

    cache_ok = True


class EncryptedJSON(_EncryptedType):
    """A JSON value stored encrypted: for documents that may hold personal data (dialog state).

    Not queryable in SQL by design; assign a new value to change it (in-place mutation is not tracked).
    """

    cache_ok = True

    def dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def load(self, text: str) -> Any:
        return json.loads(text)


_KINDS: dict[str, _EncryptedType] = {
    cls.__name__: cls() for cls in (EncryptedString, EncryptedText, EncryptedJSON)
}


def is_encrypted(column: Any) -> bool:
    """True for a column of one of the encrypted types."""
    return isinstance(getattr(column, "type", None), _EncryptedType)
