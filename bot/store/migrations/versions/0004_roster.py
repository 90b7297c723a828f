"""Roster and urgent visits: technician home coordinates and source; slot kind.

- ``technician.home_lat`` / ``home_lon``: where a technician lives, when known more precisely than his
  county (the demo roster places technicians at prefecture seats; a CSV may give coordinates).
- ``technician.source``: config | demo | import, so each loader only deactivates its own technicians.
- ``slot.kind``: window | urgent (a same-day visit: start = departure, end = latest arrival).

Only ADD COLUMN (with inline CHECK constraints), so SQLite needs no table copy: a batch "recreate" of
``slot`` would drop the table that ``booking`` references.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("technician", sa.Column("home_lat", sa.Float(), nullable=True))
    op.add_column("technician", sa.Column("home_lon", sa.Float(), nullable=True))
    op.add_column(
        "technician",
        sa.Column(
            "source",
            sa.String(length=16),
            sa.CheckConstraint("source IN ('config', 'demo', 'import')", name=op.f("ck_technician_source")),
            server_default="config",
            nullable=False,
        ),
    )
    op.add_column(
        "slot",
        sa.Column(
            "kind",
            sa.String(length=8),
            sa.CheckConstraint("kind IN ('window', 'urgent')", name=op.f("ck_slot_kind")),
            server_default="window",
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("slot", "kind")
    op.drop_column("technician", "source")
    op.drop_column("technician", "home_lon")
    op.drop_column("technician", "home_lat")
