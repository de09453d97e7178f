"""public records: identifiers in byte order (COLLATE "C")

The USCC, document number and status of a public record are identifiers, compared for equality
and sorted only to build their indexes. In byte order PostgreSQL compares them with memcmp and
sorts them with abbreviated keys, which it does not trust for libc collations: the first bulk
import builds these indexes about a third faster. Byte order is also code point order, which
is what the C.UTF-8 databases the platform creates already gave.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 22:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("uscc", 18), ("document_no", 128), ("status", 16))


def upgrade() -> None:
    for name, length in _COLUMNS:
        op.alter_column(
            "public_records",
            name,
            type_=sa.String(length=length, collation="C"),
            existing_type=sa.String(length=length),
            existing_nullable=False,
        )


def downgrade() -> None:
    for name, length in _COLUMNS:
        op.alter_column(
            "public_records",
            name,
            type_=sa.String(length=length),
            existing_type=sa.String(length=length, collation="C"),
            existing_nullable=False,
        )
