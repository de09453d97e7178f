"""Model versions and their activations, stored credit scores, and human reviews of scores."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    ARRAY,
    BigInteger,
    CheckConstraint,
    Date,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB as JsonB
from sqlalchemy.orm import Mapped, mapped_column

from xinyidai.models.base import Base, PlainBase, enum_check


class ModelVersion(PlainBase):
    """A registered model bundle. The bundle's files live here, so every API and worker process
    loads the same bytes; rows are never changed once written."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    manifest: Mapped[dict[str, Any]] = mapped_column(JsonB)
    model_text: Mapped[str] = mapped_column(Text)
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    model_sha256: Mapped[str] = mapped_column(String(64))
    feature_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(200))


class ModelActivation(PlainBase):
    """Audit of model switches; the active model is the latest activation's version."""

    __tablename__ = "model_activations"
    __table_args__ = (Index("ix_model_activations_at", "at"),)

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    previous_version: Mapped[str | None] = mapped_column(
        ForeignKey("model_versions.version"), default=None
    )
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(DateTimeUTC(timezone=True))


class CreditScore(Base):
    """One snapshot scored by one model version. Written once (re-scoring the same pair is a
    no-op) and never updated: a database trigger refuses UPDATE, like for snapshots."""

    __tablename__ = "credit_scores"
    __table_args__ = (
        Index("uq_credit_scores_snapshot_model", "snapshot_id", "model_version", unique=True),
        Index("ix_credit_scores_enterprise_created", "enterprise_id", "created_at"),
        Index("ix_credit_scores_model_created", "model_version", "created_at"),
        CheckConstraint("pd >= 0 AND pd <= 1", name="pd_range"),
    )

    enterprise_id: Mapped[UUID] = mapped_column(ForeignKey("enterprises.id", ondelete="CASCADE"))
    snapshot_id: Mapped[UUID] = mapped_column(
        ForeignKey("profile_snapshots.id", ondelete="CASCADE")
    )
    # Snapshots are immutable, so their version number can be kept here without drifting.
    snapshot_version: Mapped[int] = mapped_column(Integer)
    model_version: Mapped[str] = mapped_column(ForeignKey("model_versions.version"))
    pd: Mapped[Decimal] = mapped_column(Numeric(9, 8))
    score: Mapped[int] = mapped_column(Integer)
    grade: Mapped[str] = mapped_column(String(8))
    reasons: Mapped[list[Any]] = mapped_column(JsonB)
    # The model's input, in the manifest's feature order; NULL where a value was missing.
    features: Mapped[list[float | None]] = mapped_column(ARRAY(Double))


class ReviewStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ReviewResolution(StrEnum):
    UPHELD = "upheld"  # the score stands
    RESCORED = "rescored"  # scored again with the active model on the latest profile
    CORRECTED = "corrected"  # the data behind it was corrected (dispute, repair) and rescored


class ScoreReview(Base):
    """An SME's request for a human review of its automated score (PIPL Art.24)."""

    __tablename__ = "score_reviews"
    __table_args__ = (
        enum_check("status", ReviewStatus, "status_valid"),
        enum_check("resolution", ReviewResolution, "resolution_valid"),
        CheckConstraint(
            "(status = 'open') = (resolution IS NULL)", name="resolution_when_resolved"
        ),
        Index("ix_score_reviews_status_due", "status", "due_on"),
        # One open review per score.
        Index(
            "uq_score_reviews_open_score",
            "score_id",
            unique=True,
            postgresql_where=text("status = 'open'"),
        ),
    )

    enterprise_id: Mapped[UUID] = mapped_column(
        ForeignKey("enterprises.id", ondelete="CASCADE"), index=True
    )
    score_id: Mapped[UUID] = mapped_column(ForeignKey("credit_scores.id", ondelete="CASCADE"))
    requested_by: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[ReviewStatus] = mapped_column(String(16), default=ReviewStatus.OPEN)
    resolution: Mapped[ReviewResolution | None] = mapped_column(String(16), default=None)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    result_score_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("credit_scores.id", ondelete="SET NULL"), default=None
    )
    resolved_by: Mapped[UUID | None] = mapped_column(ForeignKey("users.id"), default=None)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(
        DateTimeUTC(timezone=True), default=None
    )
