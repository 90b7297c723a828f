"""Re-encrypt every encrypted column under the keyring's current key (``repairbot privacy rotate-key``).

Works on any table whose columns use the encrypted types, found in the metadata (no per-model code).
A value needs rewriting when it is not format 2 under the current key: written with an older key, or
format 1 (unbound). It is read raw with its row key, decrypted for its cell and encrypted again for
the same cell, in batches of ``batch_size`` rows, each batch its own transaction.

Resumable and idempotent: what is done is done (committed batch by batch), and a run only ever looks
at values whose first bytes are not the current key's header, so running it again after an
interruption, or twice, rewrites each value at most once. Running processes may keep writing: every
UPDATE is conditional on the old ciphertext, so a value the application rewrote meanwhile (already
under the current key, since all processes run the new keyring) is left alone. A row that never got a
row key (inserted outside the application) gets one here.

When it reports nothing left, no value needs the older keys any more: they can be removed from the
keyring (keep the ``hash:`` entry).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    LargeBinary,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    type_coerce,
    update,
)

from bot.privacy.cipher import V1, current_prefix, decrypt, encrypt
from bot.privacy.columns import ROW_KEY, cell_context, is_encrypted, new_row_key
from bot.privacy.keys import keyring

Progress = Callable[[str, int, int], None]


@dataclass
class RotationReport:
    """What a rotation did: values rewritten per table, and what still needs an older key."""

    key_id: str
    rewritten: dict[str, int] = field(default_factory=dict)
    rows: int = 0
    remaining: int = 0

    @property
    def retirable(self) -> list[str]:
        """Key ids no value needs any more (all but the current one, once nothing remains)."""
        return [k for k in keyring().ids if k != self.key_id] if self.remaining == 0 else []

    def to_json(self) -> dict[str, Any]:
        """The report as printed by the CLI."""
        return {"key_id": self.key_id, "rows": self.rows, "values": sum(self.rewritten.values()),
                "by_table": self.rewritten, "remaining": self.remaining, "retirable": self.retirable}


def encrypted_tables(metadata: MetaData) -> list[tuple[Table, list[Any]]]:
    """Every table with encrypted columns, with those columns."""
    found = []
    for table in metadata.sorted_tables:
        columns = [c for c in table.columns if is_encrypted(c)]
        if columns:
            found.append((table, columns))
    return found


def _raw(column: Any) -> Any:
    return type_coerce(column, LargeBinary)


def _stale(column: Any, prefix: bytes) -> Any:
    raw = _raw(column)
    return and_(raw.is_not(None), func.substr(raw, 1, len(prefix)) != bindparam(None, prefix, LargeBinary))


def count_stale(session: Any, table: Table, columns: list[Any], prefix: bytes | None = None) -> int:
    """Rows of ``table`` with at least one value not under the current key."""
    prefix = prefix or current_prefix()
    return session.scalar(select(func.count()).select_from(table).where(or_(*(_stale(c, prefix) for c in columns))))


def _reencrypt(table: str, column: str, blob: bytes, old_key: str | None, new_key: str) -> bytes:
    blob = bytes(blob)
    context = b"" if blob[:1] == bytes((V1,)) else cell_context(table, column, old_key or "")
    return encrypt(decrypt(blob, context), cell_context(table, column, new_key))


def _rotate_batch(session: Any, table: Table, columns: list[Any], pk: Any, prefix: bytes, after: Any,
                  batch_size: int) -> tuple[int, int, Any]:
    """Rewrite one batch after primary key ``after``: (rows, values, last primary key or None)."""
    row_key_col = table.c[ROW_KEY]
    query = (select(pk, row_key_col, *(_raw(c) for c in columns))
             .where(or_(*(_stale(c, prefix) for c in columns)))
             .order_by(pk).limit(batch_size))
    if after is not None:
        query = query.where(pk > after)
    rows = session.execute(query).all()
    if not rows:
        return 0, 0, None
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    values = 0
    for ident, row_key, *blobs in rows:
        new_key = row_key or new_row_key()
        params: dict[str, Any] = {"b_pk": ident, "b_old_row_key": row_key, "b_row_key": new_key}
        names = []
        for column, blob in zip(columns, blobs, strict=True):
            if blob is None or (row_key and bytes(blob[: len(prefix)]) == prefix):
                continue
            params[f"b_old_{column.key}"] = bytes(blob)
            params[f"b_new_{column.key}"] = _reencrypt(table.name, column.name, blob, row_key, new_key)
            names.append(column.key)
        if names:
            groups.setdefault(tuple(names), []).append(params)
            values += len(names)
    old_row_key = bindparam("b_old_row_key", type_=String())
    for names, batch in groups.items():
        conditions = [pk == bindparam("b_pk")]
        conditions += [_raw(table.c[n]) == bindparam(f"b_old_{n}", type_=LargeBinary) for n in names]
        # Compare-and-swap on the row key too: a row given one meanwhile is left for the next run.
        conditions.append(or_(row_key_col == old_row_key, and_(row_key_col.is_(None), old_row_key.is_(None))))
        statement = (update(table).where(*conditions)
                     .values({row_key_col: bindparam("b_row_key"),
                              **{table.c[n]: bindparam(f"b_new_{n}", type_=LargeBinary) for n in names}}))
        session.execute(statement, batch)
    return len(rows), values, rows[-1][0]


def rotate_keys(db: Any, *, metadata: MetaData | None = None, batch_size: int = 500,
                progress: Progress | None = None) -> RotationReport:
    """Re-encrypt every value not under the current key; safe to interrupt and to run again.

    ``progress(table, rows_done, rows_total)`` is called after each batch (totals counted at the start).
    """
    if metadata is None:
        from bot.store.models import Base

        metadata = Base.metadata
    prefix = current_prefix()
    report = RotationReport(key_id=keyring().current_id)
    tables = encrypted_tables(metadata)
    with db.session(readonly=True) as session:
        totals = {table.name: count_stale(session, table, columns, prefix) for table, columns in tables}
    total, done = sum(totals.values()), 0
    for table, columns in tables:
        if len(table.primary_key.columns) != 1:
            raise ValueError(f"{table.name}: key rotation needs a single-column primary key")
        pk = next(iter(table.primary_key.columns))
        after, rewritten = None, 0
        while totals[table.name]:
            with db.session() as session:
                rows, values, after = _rotate_batch(session, table, columns, pk, prefix, after, batch_size)
            if not rows:
                break
            done += rows
            rewritten += values
            report.rows += rows
            if progress:
                progress(table.name, min(done, total), total)
        report.rewritten[table.name] = rewritten
    with db.session(readonly=True) as session:
        report.remaining = sum(count_stale(session, t, c, prefix) for t, c in tables)
    return report
