"""enterprise verification: claims, verified enterprises, the office's alert queue

A registration is now an unverified claim (``enterprise_claims``); an SME user belongs to an
enterprise (``users.enterprise_id``) only once its legal representative has verified the claim
through the identity service, which also stamps ``enterprises.verified_at``. At most one claim
per USCC is verified (a partial unique index). Claims on an already verified USCC are refused
and queued for the credit office (``verification_alerts``).

Accounts registered before this revision start unverified: each SME user's enterprise becomes
a pending claim with the same details, and the user no longer belongs to the enterprise.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SME_WITH_ENTERPRISE = (
    "(role = 'sme' AND enterprise_id IS NOT NULL AND bank_id IS NULL)"
    " OR (role = 'bank' AND bank_id IS NOT NULL AND enterprise_id IS NULL)"
    " OR (role IN ('office', 'admin') AND enterprise_id IS NULL AND bank_id IS NULL)"
)
_SME_ANY = (
    "(role = 'sme' AND bank_id IS NULL)"
    " OR (role = 'bank' AND bank_id IS NOT NULL AND enterprise_id IS NULL)"
    " OR (role IN ('office', 'admin') AND enterprise_id IS NULL AND bank_id IS NULL)"
)


def _uuid() -> sa.Column:
    return sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False)


def _audit() -> list[sa.Column]:
    stamp = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    return [
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", stamp, nullable=False),
        sa.Column("updated_at", stamp, nullable=False),
    ]


def _details() -> list[sa.Column]:
    return [
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("legal_rep_name", sa.String(length=100), nullable=False),
        sa.Column("legal_rep_id_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("legal_rep_id_masked", sa.String(length=18), nullable=False),
        sa.Column("registered_capital", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("founded_on", sa.Date(), nullable=False),
        sa.Column("industry_section", sa.String(length=1), nullable=False),
        sa.Column("industry_division", sa.String(length=2), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
    ]


def upgrade() -> None:
    stamp = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    op.add_column("enterprises", sa.Column("verified_at", stamp, nullable=True))
    op.create_table(
        "enterprise_claims",
        _uuid(),
        *_details(),
        sa.Column("user_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("verified_at", stamp, nullable=True),
        sa.Column("identity_issuer", sa.String(length=255), nullable=True),
        sa.Column("identity_subject", sa.String(length=255), nullable=True),
        sa.Column("closed_at", stamp, nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        *_audit(),
        sa.CheckConstraint(
            "status IN ('pending', 'verified', 'superseded', 'revoked')",
            name=op.f("ck_enterprise_claims_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_enterprise_claims_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_claims_enterprise_id_enterprises"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_claims")),
        sa.UniqueConstraint("user_id", name=op.f("uq_enterprise_claims_user_id")),
    )
    op.create_index(
        "uq_enterprise_claims_verified_uscc",
        "enterprise_claims",
        ["uscc"],
        unique=True,
        postgresql_where=sa.text("status = 'verified'"),
    )
    op.create_index(
        "ix_enterprise_claims_uscc_status", "enterprise_claims", ["uscc", "status"], unique=False
    )
    op.create_index(
        op.f("ix_enterprise_claims_enterprise_id"),
        "enterprise_claims",
        ["enterprise_id"],
        unique=False,
    )
    op.create_table(
        "verification_alerts",
        _uuid(),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("claimant_email", sa.String(length=254), nullable=False),
        sa.Column("claimed_name", sa.String(length=200), nullable=False),
        sa.Column("claimed_legal_rep", sa.String(length=100), nullable=False),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("closed_at", stamp, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        *_audit(),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_verification_alerts_status_valid")
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_verification_alerts_enterprise_id_enterprises"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by"], ["users.id"], name=op.f("fk_verification_alerts_closed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_alerts")),
    )
    op.create_index(
        "ix_verification_alerts_status_created",
        "verification_alerts",
        ["status", "created_at"],
        unique=False,
    )
    op.drop_constraint(op.f("ck_users_organisation_matches_role"), "users", type_="check")
    op.create_check_constraint(op.f("ck_users_organisation_matches_role"), "users", _SME_ANY)
    # Accounts registered before verification existed start unverified.
    op.execute(
        """
        INSERT INTO enterprise_claims
            (id, user_id, uscc, status, name, legal_rep_name, legal_rep_id_cipher, legal_rep_id_masked, registered_capital,
               founded_on, industry_section, industry_division, district_code,
             created_at, updated_at)
        SELECT gen_random_uuid(), u.id, e.uscc, 'pending',
               e.name, e.legal_rep_name, e.legal_rep_id_cipher, e.legal_rep_id_masked,
               e.registered_capital, e.founded_on, e.industry_section, e.industry_division,
               e.district_code,
               now(), now()
        FROM users u JOIN enterprises e ON e.id = u.enterprise_id
        WHERE u.role = 'sme'
        """
    )
    op.execute("UPDATE users SET enterprise_id = NULL WHERE role = 'sme'")


def downgrade() -> None:
    # Verified owners get their enterprise back; unverified accounts cannot satisfy the old
    # constraint (an SME user had to belong to an enterprise) and are removed with their claims.
    op.execute(
        """
        UPDATE users u SET enterprise_id = c.enterprise_id
        FROM enterprise_claims c
        WHERE c.user_id = u.id AND c.status = 'verified' AND c.enterprise_id IS NOT NULL
        """
    )
    op.execute("DELETE FROM users WHERE role = 'sme' AND enterprise_id IS NULL")
    op.drop_constraint(op.f("ck_users_organisation_matches_role"), "users", type_="check")
    op.create_check_constraint(
        op.f("ck_users_organisation_matches_role"), "users", _SME_WITH_ENTERPRISE
    )
    op.drop_index("ix_verification_alerts_status_created", table_name="verification_alerts")
    op.drop_table("verification_alerts")
    op.drop_index(op.f("ix_enterprise_claims_enterprise_id"), table_name="enterprise_claims")
    op.drop_index("ix_enterprise_claims_uscc_status", table_name="enterprise_claims")
    op.drop_index("uq_enterprise_claims_verified_uscc", table_name="enterprise_claims")
    op.drop_table("enterprise_claims")
    op.drop_column("enterprises", "verified_at")
