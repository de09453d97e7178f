"""in-app notifications, and the products each SME qualified for at the last check

``notifications``: one notice to an SME (kind ``qualified`` for now), unique per enterprise,
kind and product version, so a product version notifies an SME at most once.
``qualifications``: the (SME, product) pairs that met the rule at the last check, with the
version checked; "you now qualify" is a pair that qualifies now and had no row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 16:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _guid() -> advanced_alchemy.types.guid.GUID:
    return advanced_alchemy.types.guid.GUID(length=16)


def _stamp() -> advanced_alchemy.types.datetime.DateTimeUTC:
    return advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("enterprise_id", _guid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("product_id", _guid(), nullable=True),
        sa.Column("product_version_id", _guid(), nullable=True),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("body_zh", sa.Text(), nullable=False),
        sa.Column("body_en", sa.Text(), nullable=False),
        sa.Column("read_at", _stamp(), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column("created_at", _stamp(), nullable=False),
        sa.Column("updated_at", _stamp(), nullable=False),
        sa.CheckConstraint("kind IN ('qualified')", name=op.f("ck_notifications_kind_valid")),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_notifications_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_notifications_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_version_id"],
            ["product_versions.id"],
            name=op.f("fk_notifications_product_version_id_product_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "enterprise_id", "kind", "product_version_id", name="uq_notifications_once"
        ),
    )
    op.create_index(
        "ix_notifications_enterprise_id_id", "notifications", ["enterprise_id", "id"], unique=False
    )
    op.create_table(
        "qualifications",
        sa.Column("enterprise_id", _guid(), nullable=False),
        sa.Column("product_id", _guid(), nullable=False),
        sa.Column("product_version_id", _guid(), nullable=False),
        sa.Column("since", _stamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_qualifications_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_qualifications_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_version_id"],
            ["product_versions.id"],
            name=op.f("fk_qualifications_product_version_id_product_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "product_id", name=op.f("pk_qualifications")),
    )


def downgrade() -> None:
    op.drop_table("qualifications")
    op.drop_index("ix_notifications_enterprise_id_id", table_name="notifications")
    op.drop_table("notifications")
