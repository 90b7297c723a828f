"""Ticket columns for the detailed address, urgent requests, operator alerts and closing reasons.

``address`` is ciphertext (``bot.privacy.EncryptedString`` in the models); ``urgent`` defaults to
false on the server so existing rows need no backfill. Plain ALTERs on both backends (SQLite ≥ 3.35
drops columns natively), so a downgrade keeps the ticket table's CHECK constraint.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = ("address", "urgent", "close_reason", "alert_reason", "alerted_at")


def upgrade() -> None:
    op.add_column("ticket", sa.Column("address", sa.LargeBinary(), nullable=True))
    op.add_column("ticket", sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("ticket", sa.Column("close_reason", sa.String(length=64), nullable=True))
    op.add_column("ticket", sa.Column("alert_reason", sa.String(length=64), nullable=True))
    op.add_column("ticket", sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for name in reversed(_COLUMNS):
        op.drop_column("ticket", name)
