"""Row keys for the tables with encrypted columns (ciphertexts are bound to table, column and row key).

Adds ``row_key`` (32 hex characters, unique) to customer, conversation, message, technician,
survey_answer, ticket (its address and visit notes) and outbox (its payload), and gives every existing
row a random one. Existing ciphertexts (format 1, unbound)
keep decrypting; ``repairbot privacy rotate-key`` rewrites them bound. The column is added nullable
and indexed, never by rebuilding a table: on SQLite a rebuild drops the old table, and with foreign
keys on that cascade-deletes the children (see bot.privacy.columns.RowKeyed).

Revision ID: 0007
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customer", "conversation", "message", "technician", "survey_answer", "ticket", "outbox")


def upgrade() -> None:
    random_key = (
        "replace(gen_random_uuid()::text, '-', '')"
        if op.get_bind().dialect.name == "postgresql"
        else "lower(hex(randomblob(16)))"
    )
    for table in TABLES:
        op.add_column(table, sa.Column("row_key", sa.String(length=32), nullable=True))
        op.execute(f"UPDATE {table} SET row_key = {random_key} WHERE row_key IS NULL")
        op.create_index(op.f(f"ix_{table}_row_key"), table, ["row_key"], unique=True)


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_index(op.f(f"ix_{table}_row_key"), table_name=table)
        # Native DROP COLUMN (SQLite ≥ 3.35), not a batch rebuild: rebuilding a parent table on SQLite
        # would cascade-delete its children, and turns inline CHECKs of later columns into table CHECKs.
        op.drop_column(table, "row_key")
