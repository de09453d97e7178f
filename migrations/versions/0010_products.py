"""loan products and their immutable versions

``products`` holds a bank's product (status, current version, type for the catalogue's
filters); ``product_versions`` one row per version with the whole product as JSON, never
updated (a trigger refuses it, as for profile snapshots): applications and notifications point
at the version they saw.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010"
down_revision: str | None = "0009"
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


_STATUSES = "'active', 'paused', 'retired'"
_TYPES = (
    "'credit', 'tax_based', 'utility_based', 'first_loan', 'renewal', 'receivables', 'ip_pledge'"
)


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("bank_id", _guid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_audit(),
        sa.CheckConstraint(f"status IN ({_STATUSES})", name=op.f("ck_products_status_valid")),
        sa.CheckConstraint(f"type IN ({_TYPES})", name=op.f("ck_products_type_valid")),
        sa.ForeignKeyConstraint(["bank_id"], ["banks.id"], name=op.f("fk_products_bank_id_banks")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    op.create_index("ix_products_bank_id", "products", ["bank_id"], unique=False)
    op.create_index("ix_products_status", "products", ["status"], unique=False)
    op.create_table(
        "product_versions",
        sa.Column("id", _guid(), nullable=False),
        sa.Column("product_id", _guid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("content", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_by", _guid(), nullable=True),
        *_audit(),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_product_versions_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_versions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_versions")),
        sa.UniqueConstraint("product_id", "version", name="uq_product_versions_product_version"),
    )
    op.execute(
        """
        CREATE FUNCTION product_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'product versions are immutable; write a new version instead'
                USING ERRCODE = 'integrity_constraint_violation';
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER product_versions_no_update BEFORE UPDATE ON product_versions "
        "FOR EACH ROW EXECUTE FUNCTION product_versions_immutable()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS product_versions_no_update ON product_versions")
    op.execute("DROP FUNCTION IF EXISTS product_versions_immutable()")
    op.drop_table("product_versions")
    op.drop_index("ix_products_status", table_name="products")
    op.drop_index("ix_products_bank_id", table_name="products")
    op.drop_table("products")
