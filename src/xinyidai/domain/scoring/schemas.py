"""API contracts of scoring: scores with reasons, reviews, drift and the model registry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

import msgspec
from msgspec import Meta

from xinyidai.models import ReviewResolution, ReviewStatus

Statement = Annotated[str, Meta(min_length=5, max_length=2000)]


class ScoreReason(msgspec.Struct, kw_only=True):
    """One reason, in plain words: what moved this score away from the best firms'."""

    feature: str
    contribution: float  # log-odds above the best firms' mean; larger weighs more
    value: float | None
    text_zh: str
    text_en: str


class ScoreSummary(msgspec.Struct, kw_only=True):
    score_id: UUID
    score: int
    grade: str
    pd: float
    model_version: str
    snapshot_version: int
    scored_at: dt.datetime


class ReviewBrief(msgspec.Struct, kw_only=True):
    id: UUID
    status: ReviewStatus
    resolution: ReviewResolution | None
    requested_at: dt.datetime
    due_on: dt.date


class ScoreOut(msgspec.Struct, kw_only=True):
    """The latest score of an enterprise, with its reasons and the earlier scores."""

    enterprise_id: UUID
    score_id: UUID
    score: int
    grade: str
    pd: float
    model_version: str
    snapshot_id: UUID
    snapshot_version: int
    scored_at: dt.datetime
    reasons: list[ScoreReason]
    active_model: str | None
    current: bool  # scored from the latest snapshot by the active model
    review: ReviewBrief | None  # the latest review asked of this score
    history: list[ScoreSummary]


class ReviewCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    reason: Statement


class ReviewResolve(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    resolution: ReviewResolution
    note: Statement


class ReviewedScore(msgspec.Struct, kw_only=True):
    score_id: UUID
    score: int
    grade: str
    pd: float
    model_version: str
    snapshot_version: int
    scored_at: dt.datetime
    reasons: list[ScoreReason]


class ReviewOut(msgspec.Struct, kw_only=True):
    """A human review of an automated score (PIPL Art.24), with the reasons it was given."""

    id: UUID
    enterprise_id: UUID
    enterprise_name: str
    reason: str
    requested_at: dt.datetime
    due_on: dt.date
    overdue: bool
    status: ReviewStatus
    resolution: ReviewResolution | None
    note: str | None
    resolved_at: dt.datetime | None
    score: ReviewedScore
    result: ScoreSummary | None  # the score after a rescoring or correction


class DriftBin(msgspec.Struct, kw_only=True):
    upper: float | None  # the bin's inclusive upper edge; None: unbounded, or the missing bin
    missing: bool = False
    expected: float  # share in the training reference
    actual: float  # share in the recent scores


class DriftItem(msgspec.Struct, kw_only=True):
    name: str
    psi: float | None  # None when there are no recent scores
    flagged: bool
    bins: list[DriftBin]


class DriftOut(msgspec.Struct, kw_only=True):
    """PSI of the active model's recent scores and top features against its training sample."""

    model_version: str
    since: dt.datetime
    until: dt.datetime
    window_days: int
    threshold: float
    reference_size: int | None  # loans in the training sample
    sample_size: int  # scores in the window
    flagged: bool
    score: DriftItem
    features: list[DriftItem]


class ModelVersionOut(msgspec.Struct, kw_only=True):
    version: str
    active: bool
    compatible: bool  # trained with the feature code this service runs
    registered_at: dt.datetime
    registered_by: str
    trained_at: str | None
    feature_hash: str
    model_sha256: str
    manifest_sha256: str
    lightgbm_version: str | None
    training_window: dict[str, Any] | None
    metrics: dict[str, Any]


class ActivationOut(msgspec.Struct, kw_only=True):
    version: str
    previous_version: str | None
    actor: str
    reason: str
    at: dt.datetime


class ModelsOut(msgspec.Struct, kw_only=True):
    active: str | None
    versions: list[ModelVersionOut]
    activations: list[ActivationOut]
