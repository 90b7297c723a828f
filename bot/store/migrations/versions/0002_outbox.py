"""The outbox replaces follow_up; messages know their author, buttons and initiative; visits are reported.

- ``outbox``: every message the bot or an operator sends on its own initiative, claimed by due time
  (see bot/outbox). The planned-but-never-sent ``follow_up`` rows of 0001 had no sender; pending ones
  move over as nothing (they carried no text), so the table is simply dropped.
- ``message.author`` / ``operator_id`` / ``buttons`` / ``proactive``: the history a web chat reloads
  and an operator reads; old outgoing rows are the bot's, old incoming rows the customer's.
- ``conversation.unsubscribed_at``: 退订.
- ``ticket.visited_at`` / ``visit_notes`` / ``visit_check``: the technician's report of the visit.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=160), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("essential", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("external_id", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed', 'cancelled', 'dropped')",
            name=op.f("ck_outbox_status"),
        ),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"],
                                name=op.f("fk_outbox_conversation_id_conversation"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_outbox_ticket_id_ticket"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_outbox_idempotency_key")),
    )
    op.create_index("ix_outbox_status_available_at", "outbox", ["status", "available_at"], unique=False)
    op.create_index(op.f("ix_outbox_conversation_id"), "outbox", ["conversation_id"], unique=False)
    op.create_index(op.f("ix_outbox_ticket_id"), "outbox", ["ticket_id"], unique=False)

    op.drop_index(op.f("ix_follow_up_ticket_id"), table_name="follow_up")
    op.drop_index("ix_follow_up_status_due_at", table_name="follow_up")
    op.drop_table("follow_up")

    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("author", sa.String(length=16), server_default="bot", nullable=False))
        batch.add_column(sa.Column("operator_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("buttons", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("proactive", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.create_foreign_key(op.f("fk_message_operator_id_operator"), "operator", ["operator_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_check_constraint(op.f("ck_message_author"), "author IN ('customer', 'bot', 'operator')")
    op.execute("UPDATE message SET author = 'customer' WHERE direction = 'in'")

    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("ticket") as batch:
        batch.add_column(sa.Column("visited_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("visit_notes", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("visit_check", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Native DROP COLUMN (SQLite ≥ 3.35) for parent tables: a batch rebuild of ticket or conversation on
    # SQLite drops the table, which cascades to its children. message has none, so it may be rebuilt.
    for column in ("visit_check", "visit_notes", "visited_at"):
        op.drop_column("ticket", column)
    op.drop_column("conversation", "unsubscribed_at")
    with op.batch_alter_table("message") as batch:
        batch.drop_constraint(op.f("ck_message_author"), type_="check")
        batch.drop_constraint(op.f("fk_message_operator_id_operator"), type_="foreignkey")
        batch.drop_column("proactive")
        batch.drop_column("buttons")
        batch.drop_column("operator_id")
        batch.drop_column("author")

    op.create_table(
        "follow_up",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'sent', 'cancelled', 'failed')", name=op.f("ck_follow_up_status")),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_follow_up_ticket_id_ticket"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    op.create_index("ix_follow_up_status_due_at", "follow_up", ["status", "due_at"], unique=False)
    op.create_index(op.f("ix_follow_up_ticket_id"), "follow_up", ["ticket_id"], unique=False)

    op.drop_index(op.f("ix_outbox_ticket_id"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_conversation_id"), table_name="outbox")
    op.drop_index("ix_outbox_status_available_at", table_name="outbox")
    op.drop_table("outbox")
