"""monitoring dimensions snapshotted on applications and loans

Statistics group by bank, product type, industry section, district, month and grade. The
values are copied onto ``applications`` when written (with the bank's committed response time:
``response_days`` and ``respond_by``; ``response_working_days`` when decided) and onto ``loans``
from their application, with ``first_time`` (首贷户) set at disbursement. Existing rows are
filled from the enterprise, the product (or the needs-pool claim) as they are now.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:20:00
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

from xinyidai.dates import working_days_between, working_deadline

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("applications", "loans"):
        op.add_column(table, sa.Column("product_type", sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column("industry_section", sa.String(length=1), nullable=True))
        op.add_column(table, sa.Column("district_code", sa.String(length=6), nullable=True))
    op.add_column("applications", sa.Column("response_days", sa.Integer(), nullable=True))
    op.add_column(
        "applications",
        sa.Column("respond_by", advanced_alchemy.types.DateTimeUTC(timezone=True), nullable=True),
    )
    op.add_column(
        "applications",
        sa.Column("response_working_days", sa.Numeric(precision=7, scale=2), nullable=True),
    )
    op.add_column("loans", sa.Column("grade", sa.String(length=8), nullable=True))
    op.add_column(
        "loans",
        sa.Column("first_time", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.execute(
        """
        UPDATE applications a SET
            product_type = coalesce(p.type, 'needs_offer'),
            industry_section = e.industry_section,
            district_code = e.district_code,
            response_days = coalesce((v.content ->> 'response_days')::int, c.response_days)
        FROM enterprises e, applications a2
        LEFT JOIN products p ON p.id = a2.product_id
        LEFT JOIN product_versions v ON v.id = a2.product_version_id
        LEFT JOIN need_claims c ON c.id = a2.need_claim_id
        WHERE a2.id = a.id AND e.id = a.enterprise_id
        """
    )
    _fill_times()
    op.execute(
        """
        UPDATE loans l SET
            product_type = a.product_type,
            industry_section = a.industry_section,
            district_code = a.district_code,
            grade = a.grade
        FROM applications a WHERE a.id = l.application_id
        """
    )
    op.execute(
        """
        UPDATE loans l SET first_time = true
        FROM (
            SELECT DISTINCT ON (enterprise_id) id FROM loans
            WHERE disbursed_on IS NOT NULL
            ORDER BY enterprise_id, disbursed_on, created_at, id
        ) first WHERE first.id = l.id
        """
    )
    for column in ("product_type", "industry_section", "district_code"):
        op.alter_column("applications", column, nullable=False)
        op.alter_column("loans", column, nullable=False)
    for column in ("response_days", "respond_by"):
        op.alter_column("applications", column, nullable=False)
    op.alter_column("loans", "first_time", server_default=None)
    for table in ("applications", "loans"):
        _check(table, "industry_section_valid", "industry_section ~ '^[A-T]$'")
        _check(table, "district_code_valid", "district_code ~ '^[0-9]{6}$'")
    _check("applications", "response_days_range", "response_days BETWEEN 1 AND 60")
    _check("applications", "response_working_days_nonnegative", "response_working_days >= 0")


def _check(table: str, name: str, condition: str) -> None:
    op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, condition)


def _fill_times() -> None:
    """``respond_by`` and ``response_working_days`` of existing applications, computed by the
    same functions that compute them for new ones."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text("SELECT id, created_at, decided_at, response_days FROM applications")
    ).all()
    update = sa.text(
        "UPDATE applications SET respond_by = :respond_by, response_working_days = :worked "
        "WHERE id = :id"
    )
    batch = [
        {
            "id": row.id,
            "respond_by": working_deadline(_utc(row.created_at), row.response_days),
            "worked": (
                Decimal(str(working_days_between(_utc(row.created_at), _utc(row.decided_at))))
                if row.decided_at is not None
                else None
            ),
        }
        for row in rows
    ]
    if batch:
        bind.execute(update, batch)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def downgrade() -> None:
    for table, name in (
        ("applications", "response_working_days_nonnegative"),
        ("applications", "response_days_range"),
        ("applications", "district_code_valid"),
        ("applications", "industry_section_valid"),
        ("loans", "district_code_valid"),
        ("loans", "industry_section_valid"),
    ):
        op.drop_constraint(op.f(f"ck_{table}_{name}"), table, type_="check")
    for table in ("applications", "loans"):
        for column in ("product_type", "industry_section", "district_code"):
            op.drop_column(table, column)
    for column in ("response_days", "respond_by", "response_working_days"):
        op.drop_column("applications", column)
    op.drop_column("loans", "grade")
    op.drop_column("loans", "first_time")
