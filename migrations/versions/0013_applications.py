"""loan applications, their delivery, loans, loan events and post-loan warnings

``applications`` (with the consent granted and the eligibility verdict at submission; an
idempotency key unique per enterprise), ``application_events`` (the timeline),
``application_deliveries`` (the outbox the relay delivers), ``bank_intakes`` (each bank's intake
URL and token endpoint, secret encrypted), ``loans`` (one per approval, running sums of the
events), ``loan_events`` (as the bank sent them; idempotency key unique per bank) and
``loan_warnings`` (once per change per loan). Webhooks learn ``loan.warning``; OAuth clients get
the ``applications`` scope.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 16:24:28.388084
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bank_intakes",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("intake_url", sa.String(length=500), nullable=False),
        sa.Column("token_url", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.LargeBinary(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_bank_intakes_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_intakes")),
        sa.UniqueConstraint("bank_id", name=op.f("uq_bank_intakes_bank_id")),
    )
    op.create_table(
        "applications",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("product_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("product_version_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("consent_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("need_claim_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("submitted_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("eligibility", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=True),
        sa.Column(
            "status_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "decided_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("approved_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("approved_rate", sa.Numeric(precision=8, scale=6), nullable=True),
        sa.Column("approved_term_months", sa.Integer(), nullable=True),
        sa.Column("reject_reason", sa.String(length=32), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "purpose IN ('working_capital', 'equipment', 'expansion', 'orders', 'renewal', 'other')",
            name=op.f("ck_applications_purpose_valid"),
        ),
        sa.CheckConstraint(
            "reject_reason IN ('credit_grade', 'debt_capacity', 'amount_too_high', 'negative_records', 'insufficient_data', 'industry_policy', 'operating_history', 'existing_exposure', 'incomplete_documents', 'other')",
            name=op.f("ck_applications_reject_reason_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('submitted', 'delivered', 'under_review', 'approved', 'rejected', 'disbursed', 'repaying', 'settled', 'defaulted', 'withdrawn')",
            name=op.f("ck_applications_status_valid"),
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_applications_amount_positive")),
        sa.CheckConstraint(
            "approved_rate IS NULL OR (approved_rate > 0 AND approved_rate <= 0.36)",
            name=op.f("ck_applications_approved_rate_range"),
        ),
        sa.CheckConstraint(
            "term_months BETWEEN 1 AND 360", name=op.f("ck_applications_term_range")
        ),
        sa.CheckConstraint(
            "(product_version_id IS NOT NULL) OR (need_claim_id IS NOT NULL)",
            name=op.f("ck_applications_product_or_claim"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_applications_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["bank_consents.id"],
            name=op.f("fk_applications_consent_id_bank_consents"),
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_applications_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["need_claim_id"],
            ["need_claims.id"],
            name=op.f("fk_applications_need_claim_id_need_claims"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_applications_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["product_version_id"],
            ["product_versions.id"],
            name=op.f("fk_applications_product_version_id_product_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_applications_submitted_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "enterprise_id", "idempotency_key", name="uq_applications_enterprise_idempotency"
        ),
        sa.UniqueConstraint("need_claim_id", name="uq_applications_need_claim"),
    )
    op.create_index("ix_applications_bank_id", "applications", ["bank_id", "id"], unique=False)
    op.create_index(
        "ix_applications_bank_status", "applications", ["bank_id", "status"], unique=False
    )
    op.create_index(
        "ix_applications_enterprise_created",
        "applications",
        ["enterprise_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "application_deliveries",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("application_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=False,
        ),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "delivered_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("attempt_log", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("requeued_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'failed', 'delivered', 'dead', 'poll')",
            name=op.f("ck_application_deliveries_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_deliveries_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_application_deliveries_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requeued_by"], ["users.id"], name=op.f("fk_application_deliveries_requeued_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_deliveries")),
        sa.UniqueConstraint("application_id", name="uq_application_deliveries_application"),
    )
    op.create_index(
        "ix_application_deliveries_bank_id",
        "application_deliveries",
        ["bank_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_application_deliveries_open_due",
        "application_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.create_index(
        "ix_application_deliveries_status", "application_deliveries", ["status", "id"], unique=False
    )
    op.create_table(
        "application_events",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("application_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=100), nullable=True),
        sa.Column("at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "actor IN ('sme', 'bank', 'bank_api', 'platform')",
            name=op.f("ck_application_events_actor_valid"),
        ),
        sa.CheckConstraint(
            "to_status IN ('submitted', 'delivered', 'under_review', 'approved', 'rejected', 'disbursed', 'repaying', 'settled', 'defaulted', 'withdrawn')",
            name=op.f("ck_application_events_to_status_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_application_events_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_events")),
    )
    op.create_index(
        "ix_application_events_application",
        "application_events",
        ["application_id", "at"],
        unique=False,
    )
    op.create_table(
        "loans",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("application_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("product_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("annual_rate", sa.Numeric(precision=8, scale=6), nullable=False),
        sa.Column("term_months", sa.Integer(), nullable=False),
        sa.Column("unsecured", sa.Boolean(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("disbursed_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("disbursed_on", sa.Date(), nullable=True),
        sa.Column("maturity_on", sa.Date(), nullable=True),
        sa.Column("principal_repaid", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("interest_paid", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("overdue_since", sa.Date(), nullable=True),
        sa.Column("overdue_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("defaulted_on", sa.Date(), nullable=True),
        sa.Column("loss_amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("settled_on", sa.Date(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint("amount > 0", name=op.f("ck_loans_amount_positive")),
        sa.CheckConstraint(
            "annual_rate > 0 AND annual_rate <= 0.36", name=op.f("ck_loans_annual_rate_range")
        ),
        sa.CheckConstraint(
            "principal_repaid >= 0", name=op.f("ck_loans_principal_repaid_nonnegative")
        ),
        sa.CheckConstraint("term_months BETWEEN 1 AND 360", name=op.f("ck_loans_term_range")),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_loans_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_loans_bank_id_banks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_loans_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_loans_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loans")),
        sa.UniqueConstraint("application_id", name="uq_loans_application"),
    )
    op.create_index("ix_loans_bank_id", "loans", ["bank_id", "id"], unique=False)
    op.create_index("ix_loans_enterprise", "loans", ["enterprise_id"], unique=False)
    op.create_table(
        "loan_events",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("loan_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("interest", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("days_overdue", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reported_by", sa.String(length=100), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('disbursed', 'repayment', 'overdue', 'default', 'settled')",
            name=op.f("ck_loan_events_kind_valid"),
        ),
        sa.CheckConstraint(
            "amount IS NULL OR amount >= 0", name=op.f("ck_loan_events_amount_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"], ["banks.id"], name=op.f("fk_loan_events_bank_id_banks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"], ["loans.id"], name=op.f("fk_loan_events_loan_id_loans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_events")),
        sa.UniqueConstraint("bank_id", "idempotency_key", name="uq_loan_events_bank_idempotency"),
    )
    op.create_index("ix_loan_events_loan", "loan_events", ["loan_id", "occurred_on"], unique=False)
    op.create_table(
        "loan_warnings",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("loan_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("change_key", sa.String(length=200), nullable=False),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "read_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('public_record', 'tax_arrears', 'social_insurance_arrears', 'grade_drop')",
            name=op.f("ck_loan_warnings_kind_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_loan_warnings_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_loan_warnings_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["loan_id"],
            ["loans.id"],
            name=op.f("fk_loan_warnings_loan_id_loans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loan_warnings")),
        sa.UniqueConstraint("loan_id", "change_key", name="uq_loan_warnings_loan_change"),
    )
    op.create_index("ix_loan_warnings_bank_id", "loan_warnings", ["bank_id", "id"], unique=False)

    _event_types("'consent.revoked', 'consent.expired', 'profile.updated', 'loan.warning'")
    op.execute(
        "UPDATE oauth_clients SET scopes = array_append(scopes, 'applications') "
        "WHERE NOT ('applications' = ANY(scopes))"
    )


def _event_types(values: str) -> None:
    name = "ck_webhook_deliveries_event_type_valid"
    op.drop_constraint(op.f(name), "webhook_deliveries", type_="check")
    op.create_check_constraint(op.f(name), "webhook_deliveries", f"event_type IN ({values})")


def downgrade() -> None:
    op.execute("UPDATE oauth_clients SET scopes = array_remove(scopes, 'applications')")
    op.execute("DELETE FROM webhook_deliveries WHERE event_type = 'loan.warning'")
    _event_types("'consent.revoked', 'consent.expired', 'profile.updated'")
    op.drop_index("ix_loan_warnings_bank_id", table_name="loan_warnings")
    op.drop_table("loan_warnings")
    op.drop_index("ix_loan_events_loan", table_name="loan_events")
    op.drop_table("loan_events")
    op.drop_index("ix_loans_enterprise", table_name="loans")
    op.drop_index("ix_loans_bank_id", table_name="loans")
    op.drop_table("loans")
    op.drop_index("ix_application_events_application", table_name="application_events")
    op.drop_table("application_events")
    op.drop_index("ix_application_deliveries_status", table_name="application_deliveries")
    op.drop_index(
        "ix_application_deliveries_open_due",
        table_name="application_deliveries",
        postgresql_where=sa.text("status IN ('pending', 'failed')"),
    )
    op.drop_index("ix_application_deliveries_bank_id", table_name="application_deliveries")
    op.drop_table("application_deliveries")
    op.drop_index("ix_applications_enterprise_created", table_name="applications")
    op.drop_index("ix_applications_bank_status", table_name="applications")
    op.drop_index("ix_applications_bank_id", table_name="applications")
    op.drop_table("applications")
    op.drop_table("bank_intakes")
