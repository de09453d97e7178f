"""indexes for the banks' service levels

The credit office's service levels read ``applications`` by range: the period's submissions
(``created_at``), the period's decisions (``decided_at``, with what the figures need included,
so the scan never visits the table) and the undecided ones past ``respond_by`` now (a partial
index that holds only the open applications).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_applications_created",
        "applications",
        ["created_at"],
        postgresql_include=["bank_id", "response_days"],
    )
    op.create_index(
        "ix_applications_decided",
        "applications",
        ["decided_at"],
        postgresql_where=sa.text("decided_at IS NOT NULL"),
        postgresql_include=["bank_id", "respond_by", "response_working_days"],
    )
    op.create_index(
        "ix_applications_waiting",
        "applications",
        ["respond_by"],
        postgresql_where=sa.text("status IN ('submitted', 'delivered', 'under_review')"),
        postgresql_include=["bank_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_applications_waiting", table_name="applications")
    op.drop_index("ix_applications_decided", table_name="applications")
    op.drop_index("ix_applications_created", table_name="applications")
