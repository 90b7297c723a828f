"""The console: account roles and presence, sessions, login attempts, notes, assignment, digests.

- ``operator.role`` (operator | manager | admin), ``last_seen_at`` (online for assignment),
  ``last_assigned_at`` (round-robin order);
- ``console_session``: server-side sessions (the cookie's token hashed) with their CSRF token;
- ``login_attempt``: throttling repeated failures;
- ``console_note``: operators' notes on a chat, private or for the team (text encrypted);
- ``conversation.assignee_id`` / ``assigned_at`` / ``snoozed_until`` / ``snoozed_at`` /
  ``last_operator_id``: assignment, snooze and 客户专属顾问;
- ``technician.suspended_at``: deactivated in the console, whatever config.yml says;
- ``digest``: the managers' weekly digest, once per period.

Revision ID: 0006
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("operator") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), server_default="operator", nullable=False))
        batch.add_column(sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.create_check_constraint(op.f("ck_operator_role"), "role IN ('operator', 'manager', 'admin')")

    with op.batch_alter_table("conversation") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("snoozed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("snoozed_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_operator_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_conversation_assignee_id_operator"), "operator", ["assignee_id"], ["id"],
                                 ondelete="SET NULL")
        batch.create_foreign_key(op.f("fk_conversation_last_operator_id_operator"), "operator",
                                 ["last_operator_id"], ["id"], ondelete="SET NULL")
        batch.create_index(op.f("ix_conversation_assignee_id"), ["assignee_id"], unique=False)

    op.add_column("technician", sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True))

    op.create_table(
        "console_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["operator_id"], ["operator.id"], name=op.f("fk_console_session_operator_id_operator"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_session")),
    )
    op.create_index(op.f("ix_console_session_operator_id"), "console_session", ["operator_id"], unique=False)
    op.create_index(op.f("ix_console_session_expires_at"), "console_session", ["expires_at"], unique=False)

    op.create_table(
        "login_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempt")),
    )
    op.create_index("ix_login_attempt_username_at", "login_attempt", ["username", "at"], unique=False)
    op.create_index("ix_login_attempt_ip_at", "login_attempt", ["ip", "at"], unique=False)

    op.create_table(
        "console_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("text", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("row_key", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(["conversation_id"], ["conversation.id"],
                                name=op.f("fk_console_note_conversation_id_conversation"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["ticket_id"], ["ticket.id"], name=op.f("fk_console_note_ticket_id_ticket"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["author_id"], ["operator.id"], name=op.f("fk_console_note_author_id_operator"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_note")),
    )
    op.create_index(op.f("ix_console_note_conversation_id"), "console_note", ["conversation_id"], unique=False)
    # The note's text is encrypted and bound to its row (bot.privacy.RowKeyed).
    op.create_index(op.f("ix_console_note_row_key"), "console_note", ["row_key"], unique=True)
    op.create_index(op.f("ix_console_note_ticket_id"), "console_note", ["ticket_id"], unique=False)

    op.create_table(
        "digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("chart_png", sa.LargeBinary(), nullable=True),
        sa.Column("outbox_key", sa.String(length=160), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest")),
        sa.UniqueConstraint("period_start", name=op.f("uq_digest_period_start")),
    )


def downgrade() -> None:
    op.drop_table("digest")
    op.drop_index(op.f("ix_console_note_ticket_id"), table_name="console_note")
    op.drop_index(op.f("ix_console_note_row_key"), table_name="console_note")
    op.drop_index(op.f("ix_console_note_conversation_id"), table_name="console_note")
    op.drop_table("console_note")
    op.drop_index("ix_login_attempt_ip_at", table_name="login_attempt")
    op.drop_index("ix_login_attempt_username_at", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_index(op.f("ix_console_session_expires_at"), table_name="console_session")
    op.drop_index(op.f("ix_console_session_operator_id"), table_name="console_session")
    op.drop_table("console_session")
    # Natively: a batch rebuild of technician would turn the inline CHECKs of 0004 into table CHECKs,
    # which SQLite then refuses to drop with their columns.
    op.drop_column("technician", "suspended_at")
    with op.batch_alter_table("conversation") as batch:
        batch.drop_index(op.f("ix_conversation_assignee_id"))
        batch.drop_constraint(op.f("fk_conversation_last_operator_id_operator"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_conversation_assignee_id_operator"), type_="foreignkey")
        batch.drop_column("last_operator_id")
        batch.drop_column("snoozed_at")
        batch.drop_column("snoozed_until")
        batch.drop_column("assigned_at")
        batch.drop_column("assignee_id")
    with op.batch_alter_table("operator") as batch:
        batch.drop_constraint(op.f("ck_operator_role"), type_="check")
        batch.drop_column("last_assigned_at")
        batch.drop_column("last_seen_at")
        batch.drop_column("role")
