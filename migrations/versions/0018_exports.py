"""the credit office's exports and their files

``exports`` (one row per requested CSV or XLSX: kind, format, the query, who asked, progress as
rows written of the total, the data's as-of time, how it ended) and ``export_chunks`` (the
finished file in 1 MiB pieces, written in the transaction that marks the export done).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04 20:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WHEN = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
GUID = advanced_alchemy.types.guid.GUID(length=16)


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", GUID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("query", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requested_by", GUID, nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=True),
        sa.Column("rows_written", sa.Integer(), nullable=False),
        sa.Column("as_of", WHEN, nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=True),
        sa.Column("byte_size", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", WHEN, nullable=True),
        sa.Column("finished_at", WHEN, nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.CheckConstraint("kind IN ('stat', 'loans')", name=op.f("ck_exports_kind_valid")),
        sa.CheckConstraint("format IN ('csv', 'xlsx')", name=op.f("ck_exports_format_valid")),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_exports_status_valid"),
        ),
        sa.CheckConstraint("rows_written >= 0", name=op.f("ck_exports_rows_written_nonnegative")),
        sa.CheckConstraint(
            "rows_total IS NULL OR rows_total >= 0", name=op.f("ck_exports_rows_total_nonnegative")
        ),
        sa.CheckConstraint(
            "status <> 'done' OR (byte_size IS NOT NULL AND filename IS NOT NULL)",
            name=op.f("ck_exports_done_has_file"),
        ),
        sa.CheckConstraint(
            "status <> 'failed' OR error IS NOT NULL", name=op.f("ck_exports_failed_has_reason")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_exports_requested_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    op.create_index("ix_exports_created", "exports", ["created_at"], unique=False)
    op.create_index("ix_exports_status_updated", "exports", ["status", "updated_at"], unique=False)
    op.create_table(
        "export_chunks",
        sa.Column("export_id", GUID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("seq >= 0", name=op.f("ck_export_chunks_seq_nonnegative")),
        sa.ForeignKeyConstraint(
            ["export_id"],
            ["exports.id"],
            name=op.f("fk_export_chunks_export_id_exports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("export_id", "seq", name=op.f("pk_export_chunks")),
    )


def downgrade() -> None:
    op.drop_table("export_chunks")
    op.drop_index("ix_exports_status_updated", table_name="exports")
    op.drop_index("ix_exports_created", table_name="exports")
    op.drop_table("exports")
