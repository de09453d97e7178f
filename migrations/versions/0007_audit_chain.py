"""audit chain: the append-only, hash-chained audit log

``audit_entries`` holds one row per audited call (the bank API's, first). Rows are inserted
unlinked and linked into a SHA-256 chain by the chainer job (``xinyidai.domain.audit``). The
trigger ``audit_entries_append_only`` refuses DELETE, TRUNCATE, an INSERT that arrives already
linked, and every UPDATE but the one that links an unlinked row (``prev_hash``, ``hash`` and
``linked_at`` from NULL to values, nothing else changed). The triggers are ``ENABLE ALWAYS``:
``session_replication_role = replica`` does not switch them off; only the table's owner can,
with ``ALTER TABLE … DISABLE TRIGGER``.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARD = """
CREATE FUNCTION audit_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.prev_hash IS NOT NULL OR NEW.hash IS NOT NULL OR NEW.linked_at IS NOT NULL THEN
            RAISE EXCEPTION 'audit entries are appended unlinked; only the chainer links them'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE'
        AND OLD.prev_hash IS NULL AND OLD.hash IS NULL AND OLD.linked_at IS NULL
        AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL AND NEW.linked_at IS NOT NULL
        AND to_jsonb(NEW) - ARRAY['prev_hash', 'hash', 'linked_at']
            = to_jsonb(OLD) - ARRAY['prev_hash', 'hash', 'linked_at']
    THEN
        RETURN NEW;  -- the chainer linking an unlinked row, and changing nothing else
    END IF;
    RAISE EXCEPTION 'audit entries are append-only: % refused', TG_OP
        USING ERRCODE = 'integrity_constraint_violation',
              HINT = 'only linking an unlinked entry (prev_hash, hash, linked_at) may update it';
END $$;
"""


def upgrade() -> None:
    stamp = advanced_alchemy.types.datetime.DateTimeUTC(timezone=True)
    guid = advanced_alchemy.types.guid.GUID(length=16)
    op.create_table(
        "audit_entries",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("id", guid, nullable=False),
        sa.Column("occurred_at", stamp, nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.String(length=200), nullable=False),
        sa.Column("bank_id", guid, nullable=True),
        sa.Column("client_id", sa.String(length=200), nullable=True),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", guid, nullable=True),
        sa.Column("consent_id", guid, nullable=True),
        sa.Column("request_id", sa.String(length=100), nullable=True),
        sa.Column("detail", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.Column("linked_at", stamp, nullable=True),
        sa.CheckConstraint(
            "actor_kind IN ('bank_client', 'user', 'system')",
            name=op.f("ck_audit_entries_actor_kind_valid"),
        ),
        sa.CheckConstraint(
            "(hash IS NULL) = (prev_hash IS NULL) AND (hash IS NULL) = (linked_at IS NULL)",
            name=op.f("ck_audit_entries_link_complete"),
        ),
        sa.CheckConstraint(
            "hash ~ '^[0-9a-f]{64}$' AND prev_hash ~ '^[0-9a-f]{64}$'",
            name=op.f("ck_audit_entries_hash_hex"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    op.create_index("uq_audit_entries_id", "audit_entries", ["id"], unique=True)
    op.create_index(
        "ix_audit_entries_unlinked",
        "audit_entries",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("hash IS NULL"),
    )
    op.execute(_GUARD)
    op.execute(
        "CREATE TRIGGER audit_entries_append_only BEFORE INSERT OR UPDATE OR DELETE"
        " ON audit_entries FOR EACH ROW EXECUTE FUNCTION audit_entries_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_entries_append_only()"
    )
    # Fired in every session, replication role or not.
    op.execute("ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_append_only")
    op.execute("ALTER TABLE audit_entries ENABLE ALWAYS TRIGGER audit_entries_no_truncate")


def downgrade() -> None:
    op.drop_index(
        "ix_audit_entries_unlinked",
        table_name="audit_entries",
        postgresql_where=sa.text("hash IS NULL"),
    )
    op.drop_index("uq_audit_entries_id", table_name="audit_entries")
    op.drop_table("audit_entries")  # its triggers go with it
    op.execute("DROP FUNCTION IF EXISTS audit_entries_append_only()")
