"""Channels: photo evidence, Telegram callback references, platform access tokens.

- ``evidence``: photos customers sent on any channel (file under the data directory, encrypted), with
  SHA-256, perceptual hash and flags for operators.
- ``callback_ref``: button values longer than Telegram's 64-byte ``callback_data``, under a short key.
- ``platform_token``: WeChat's access_token shared by all processes, refreshed under a lease.

Revision ID: 0005
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("source_id", sa.String(length=160), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("path", sa.String(length=255), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("phash", sa.String(length=16), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"],
                                name=op.f("fk_evidence_conversation_id_conversation"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_evidence_ticket_id_ticket"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("channel", "source_id", name=op.f("uq_evidence_channel_source_id")),
    )
    op.create_index(op.f("ix_evidence_conversation_id"), "evidence", ["conversation_id"], unique=False)
    op.create_index(op.f("ix_evidence_ticket_id"), "evidence", ["ticket_id"], unique=False)
    op.create_index(op.f("ix_evidence_sha256"), "evidence", ["sha256"], unique=False)

    op.create_table(
        "callback_ref",
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_key", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_callback_ref")),
    )
    op.create_index(op.f("ix_callback_ref_chat_id"), "callback_ref", ["chat_id"], unique=False)
    op.create_index(op.f("ix_callback_ref_row_key"), "callback_ref", ["row_key"], unique=True)
    op.create_index(op.f("ix_callback_ref_created_at"), "callback_ref", ["created_at"], unique=False)

    op.create_table(
        "platform_token",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("token", sa.LargeBinary(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshing_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refreshed_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_key", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_platform_token")),
    )
    # Encrypted values are bound to their row (bot.privacy.RowKeyed).
    op.create_index(op.f("ix_platform_token_row_key"), "platform_token", ["row_key"], unique=True)


def downgrade() -> None:
    op.drop_index(op.f("ix_platform_token_row_key"), table_name="platform_token")
    op.drop_table("platform_token")
    op.drop_index(op.f("ix_callback_ref_row_key"), table_name="callback_ref")
    op.drop_index(op.f("ix_callback_ref_created_at"), table_name="callback_ref")
    op.drop_index(op.f("ix_callback_ref_chat_id"), table_name="callback_ref")
    op.drop_table("callback_ref")
    op.drop_index(op.f("ix_evidence_sha256"), table_name="evidence")
    op.drop_index(op.f("ix_evidence_ticket_id"), table_name="evidence")
    op.drop_index(op.f("ix_evidence_conversation_id"), table_name="evidence")
    op.drop_table("evidence")
