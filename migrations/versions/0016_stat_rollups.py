"""the credit office's daily statistics rollups

``stat_daily`` (additive figures of applications, decisions and loans per bank × product type ×
industry section × district × grade × China day, kept in projections: ``dims`` is the bit mask
of the dimensions a row keeps) and ``stat_response`` (the histogram of decisions' working days
in hundredths, per key and decision day). Both are filled from the base tables here, by the same
statement as ``xinyidai monitoring rebuild`` uses; from then on the services add to them in the
transaction of each event. A partial index counts the SMEs registered (verified) by a date.

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-04 21:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY = ("dims", "day", "bank_id", "product_type", "industry_section", "district_code", "grade")
_COUNTS = (
    "applications",
    "decisions",
    "approvals",
    "loans",
    "unsecured_loans",
    "first_time_loans",
    "overdue_loans",
    "defaulted_loans",
)
_AMOUNTS = (
    "approved_amount",
    "disbursed_amount",
    "unsecured_amount",
    "first_time_amount",
    "overdue_amount",
    "defaulted_amount",
)
_ORDER = (
    "applications",
    "decisions",
    "approvals",
    "approved_amount",
    "loans",
    "disbursed_amount",
    "unsecured_loans",
    "unsecured_amount",
    "first_time_loans",
    "first_time_amount",
    "rate_amount",
    "overdue_loans",
    "overdue_amount",
    "defaulted_loans",
    "defaulted_amount",
)


def _key_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("dims", sa.SmallInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("product_type", sa.String(length=32), nullable=False),
        sa.Column("industry_section", sa.String(length=1), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("grade", sa.String(length=8), nullable=False),
    ]


def _measure(name: str) -> sa.Column[object]:
    if name in _COUNTS:
        kind: sa.types.TypeEngine[object] = sa.BigInteger()
    elif name in _AMOUNTS:
        kind = sa.Numeric(precision=20, scale=2)
    else:  # rate_amount
        kind = sa.Numeric(precision=30, scale=8)
    return sa.Column(name, kind, server_default="0", nullable=False)


def upgrade() -> None:
    op.create_table(
        "stat_daily",
        *_key_columns(),
        *(_measure(name) for name in _ORDER),
        sa.PrimaryKeyConstraint(*_KEY, name=op.f("pk_stat_daily")),
    )
    op.create_table(
        "stat_response",
        *_key_columns(),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("decisions", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(*_KEY, "bucket", name=op.f("pk_stat_response")),
    )
    op.create_index(
        "ix_enterprises_verified_at",
        "enterprises",
        ["verified_at"],
        postgresql_where=sa.text("verified_at IS NOT NULL"),
    )
    # The rollups of whatever history is there (the statements the rebuild runs).
    from xinyidai.domain.monitoring.rebuild import REBUILD_STATEMENTS

    for statement in REBUILD_STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_enterprises_verified_at", table_name="enterprises")
    op.drop_table("stat_response")
    op.drop_table("stat_daily")
