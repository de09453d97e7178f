"""bank consents and the OAuth authorisation server

``bank_consents``: an SME's consent for one bank to read some of its data families (and its
score), with purpose, channel, expiry and revocation. ``oauth_clients``: banks' confidential
clients (public JWKS for ``private_key_jwt``, exact redirect URIs, grants, scopes).
``oauth_signing_keys``: the access-token signing keys, private parts encrypted with
``DATA_KEY``. ``oauth_refresh_tokens``: the code flow's refresh tokens (hashes), bound to a
consent and its DPoP key.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:00:43.323584
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "oauth_signing_keys",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=16), nullable=False),
        sa.Column("private_cipher", sa.LargeBinary(), nullable=False),
        sa.Column("public_jwk", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "retired_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column(
            "publish_until",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            nullable=True,
        ),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_signing_keys")),
        sa.UniqueConstraint("kid", name=op.f("uq_oauth_signing_keys_kid")),
    )
    op.create_table(
        "oauth_clients",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("auth_method", sa.String(length=32), nullable=False),
        sa.Column("jwks", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column(
            "redirect_uris",
            sa.ARRAY(sa.String(length=500)),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column("grant_types", sa.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column(
            "disabled_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "auth_method IN ('private_key_jwt', 'client_secret_basic')",
            name=op.f("ck_oauth_clients_auth_method_known"),
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_oauth_clients_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_clients")),
        sa.UniqueConstraint("client_id", name=op.f("uq_oauth_clients_client_id")),
    )
    op.create_index("ix_oauth_clients_bank", "oauth_clients", ["bank_id"], unique=False)
    op.create_table(
        "bank_consents",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("enterprise_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("bank_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("families", sa.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=True),
        sa.Column(
            "expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column("granted_by", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column(
            "revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("revoked_by", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.CheckConstraint(
            "channel IN ('portal', 'oauth', 'application')",
            name=op.f("ck_bank_consents_channel_known"),
        ),
        sa.CheckConstraint(
            "purpose IN ('application', 'need', 'general')",
            name=op.f("ck_bank_consents_purpose_known"),
        ),
        sa.CheckConstraint(
            "cardinality(families) > 0", name=op.f("ck_bank_consents_families_not_empty")
        ),
        sa.CheckConstraint(
            "expires_at > created_at", name=op.f("ck_bank_consents_expires_after_grant")
        ),
        sa.ForeignKeyConstraint(
            ["bank_id"],
            ["banks.id"],
            name=op.f("fk_bank_consents_bank_id_banks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_bank_consents_enterprise_id_enterprises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["granted_by"], ["users.id"], name=op.f("fk_bank_consents_granted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_bank_consents_revoked_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_consents")),
    )
    op.create_index(
        "ix_bank_consents_bank_live",
        "bank_consents",
        ["bank_id", "enterprise_id", "revoked_at", "expires_at"],
        unique=False,
    )
    op.create_index(
        "ix_bank_consents_enterprise",
        "bank_consents",
        ["enterprise_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "oauth_refresh_tokens",
        sa.Column("id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("consent_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("scopes", sa.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("dpop_jkt", sa.String(length=64), nullable=False),
        sa.Column(
            "expires_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "used_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column(
            "revoked_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True
        ),
        sa.Column("sa_orm_sentinel", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_clients.client_id"],
            name=op.f("fk_oauth_refresh_tokens_client_id_oauth_clients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["consent_id"],
            ["bank_consents.id"],
            name=op.f("fk_oauth_refresh_tokens_consent_id_bank_consents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_oauth_refresh_tokens_token_hash")),
    )
    op.create_index(
        "ix_oauth_refresh_tokens_consent", "oauth_refresh_tokens", ["consent_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_oauth_refresh_tokens_consent", table_name="oauth_refresh_tokens")
    op.drop_table("oauth_refresh_tokens")
    op.drop_index("ix_bank_consents_enterprise", table_name="bank_consents")
    op.drop_index("ix_bank_consents_bank_live", table_name="bank_consents")
    op.drop_table("bank_consents")
    op.drop_index("ix_oauth_clients_bank", table_name="oauth_clients")
    op.drop_table("oauth_clients")
    op.drop_table("oauth_signing_keys")
