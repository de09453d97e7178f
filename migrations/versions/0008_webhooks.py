"""webhooks to banks: each bank's webhook URL, and the delivery log

``bank_webhooks`` holds one URL per bank (checked against the destination policy when it is
set and again at every delivery). ``webhook_deliveries`` is one row per event per bank,
unique on (bank, event id) so an event is emitted once; the queue carries only the row's id.
A partial index finds the open deliveries (pending or failed) by when they are due.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _guid() -> advanced_alchemy.types.guid.GUID:
    return advanced_alchemy.types.guid.GUID(length=16)


def _audit() -> list[sa.Column]:
    stamp = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
    ]


def upgrade() -> None:
    stamp = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    op.create_table(
        "bank_webhooks",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("bank_id", _guid(), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_bank_webhooks_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_webhooks")),
        sa.UniqueConstraint("bank_id", name=op.f("uq_bank_webhooks_bank_id")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("bank_id", _guid(), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", stamp, nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("delivered_at", stamp, nullable=True),
        sa.Column("attempt_log", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        *_audit(),
        sa.CheckConstraint(
            "status IN ('pending', 'failed', 'delivered', 'dead')",
            name=op.f("ck_webhook_deliveries_status_valid"),
        ),
        sa.CheckConstraint(
            "event_type IN ('consent.revoked', 'consent.expired', 'profile.updated')",
            name=op.f("ck_webhook_deliveries_event_type_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_webhook_deliveries_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
        sa.UniqueConstraint("bank_id", "event_id", name="uq_webhook_deliveries_bank_event"),
    )
    op.create_index(
        "ix_webhook_deliveries_bank_id_id", "webhook_deliveries", ["bank_id", "id"], unique=False
    )
    op.create_index(
        "ix_webhook_deliveries_open_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_open_due", table_name="webhook_deliveries")
    op.drop_index("ix_webhook_deliveries_bank_id_id", table_name="webhook_deliveries")
    op.drop_table("webhook_deliveries")
    op.drop_table("bank_webhooks")
