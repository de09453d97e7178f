"""financing needs and the banks' claims on them

``needs`` holds what an SME posted (amount, term, purpose, note, highest acceptable rate,
deadline, status); ``need_claims`` each bank's claim with its offer, its committed response
time and, once accepted, the consent the SME granted with it. One live (open or accepted) claim
per bank and need: a partial unique index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _guid() -> advanced_alchemy.types.guid.GUID:
    return advanced_alchemy.types.guid.GUID(length=16)


def _stamp() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def _audit() -> list[sa.Column]:
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.Column("updated_at", _stamp(), nullable=False),
    ]


_NEED_STATUSES = "'open', 'accepted', 'withdrawn', 'expired'"
_PURPOSES = "'working_capital', 'equipment', 'expansion', 'orders', 'renewal', 'other'"
_CLAIM_STATUSES = "'open', 'accepted', 'lost', 'withdrawn', 'cancelled', 'expired'"


def upgrade() -> None:
    op.create_table(
        "needs",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("enterprise_id", _guid(), nullable=False),
        sa.Column("created_by", _guid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("max_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("closed_at", _stamp(), nullable=True),
        *_audit(),
        sa.CheckConstraint(f"status IN ({_NEED_STATUSES})", name=op.f("ck_needs_status_valid")),
        sa.CheckConstraint(f"purpose IN ({_PURPOSES})", name=op.f("ck_needs_purpose_valid")),
        sa.CheckConstraint("amount > 0", name=op.f("ck_needs_amount_positive")),
        sa.CheckConstraint(
            "max_rate > 0 AND max_rate <= 0.36", name=op.f("ck_needs_max_rate_range")
        ),
        sa.CheckConstraint("term_months BETWEEN 1 AND 360", name=op.f("ck_needs_term_range")),
        sa.CheckConstraint(
            "(status = 'open') = (closed_at IS NULL)", name=op.f("ck_needs_closed_when_not_open")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_needs_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_needs_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_needs")),
    )
    op.create_index("ix_needs_enterprise_created", "needs", ["enterprise_id", "created_at"])
    op.create_index("ix_needs_status_deadline", "needs", ["status", "deadline"])
    op.create_table(
        "need_claims",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("need_id", _guid(), nullable=False),
        sa.Column("bank_id", _guid(), nullable=False),
        sa.Column("created_by", _guid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("response_days", sa.Integer(), nullable=False),
        sa.Column("respond_by", sa.Date(), nullable=False),
        sa.Column("decided_at", _stamp(), nullable=True),
        sa.Column("consent_id", _guid(), nullable=True),
        *_audit(),
        sa.CheckConstraint(
            f"status IN ({_CLAIM_STATUSES})", name=op.f("ck_need_claims_status_valid")
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_need_claims_amount_positive")),
        sa.CheckConstraint("rate > 0 AND rate <= 0.36", name=op.f("ck_need_claims_rate_range")),
        sa.CheckConstraint("term_months BETWEEN 1 AND 360", name=op.f("ck_need_claims_term_range")),
        sa.CheckConstraint(
            "response_days BETWEEN 1 AND 30", name=op.f("ck_need_claims_response_days_range")
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (consent_id IS NOT NULL)",
            name=op.f("ck_need_claims_consent_iff_won"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_need_claims_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["bank_consents.id"],
            name=op.f("fk_need_claims_consent_id_bank_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_need_claims_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["need_id"],
            ["needs.id"],
            name=op.f("fk_need_claims_need_id_needs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_need_claims")),
    )
    op.create_index(
        "uq_need_claims_live_bank",
        "need_claims",
        ["need_id", "bank_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('open', 'accepted')"),
    )
    op.create_index("ix_need_claims_need", "need_claims", ["need_id", "created_at"])
    op.create_index("ix_need_claims_bank", "need_claims", ["bank_id", "created_at"])
    op.create_index("ix_need_claims_status_respond_by", "need_claims", ["status", "respond_by"])


def downgrade() -> None:
    op.drop_index("ix_need_claims_status_respond_by", table_name="need_claims")
    op.drop_index("ix_need_claims_bank", table_name="need_claims")
    op.drop_index("ix_need_claims_need", table_name="need_claims")
    op.drop_index(
        "uq_need_claims_live_bank",
        table_name="need_claims",
        postgresql_where=sa.text("status IN ('open', 'accepted')"),
    )
    op.drop_table("need_claims")
    op.drop_index("ix_needs_status_deadline", table_name="needs")
    op.drop_index("ix_needs_enterprise_created", table_name="needs")
    op.drop_table("needs")
