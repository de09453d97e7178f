"""audit entries by bank and time, for a bank's API usage counts

A partial index (rows with a bank only) on ``audit_entries (bank_id, occurred_at)``: the bank
portal counts a bank's calls per day from the audit log without reading anyone else's rows.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_entries_bank_at",
        "audit_entries",
        ["bank_id", "occurred_at"],
        unique=False,
        postgresql_where=sa.text("bank_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_audit_entries_bank_at",
        table_name="audit_entries",
        postgresql_where=sa.text("bank_id IS NOT NULL"),
    )
